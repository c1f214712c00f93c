/**
 * The chat page's voice state as one value changed only by a pure reducer, held in the same kind of
 * store as the chat's (`components/chat/store.ts`). `useVoice` dispatches what happened (a reply
 * started or stopped being spoken, the microphone's phase, the voice list, a hands-free transition)
 * and its callbacks read `store.getState()`, so no ref keeps a copy of this state. The hook's refs
 * hold only resources: the `<audio>` element, the speech player, AbortControllers and the capture.
 */
import type { ClientVoice } from "../../lib/voice/client/api.ts";
import type { VoiceConfig } from "../chat/types.ts";
import { HANDS_FREE_OFF, type HandsFreeMachine } from "./hands_free.ts";

/** How dictation works in this browser: server transcription, the browser's recognizer, or not at all. */
export type MicMode = "server" | "browser" | "none";

/** What the microphone is doing. */
export type MicState = "idle" | "recording" | "transcribing";

/** All of the voice layer's state. */
export interface VoiceState {
  /** True after the first effect ran in the browser (capabilities below are known). */
  hydrated: boolean;
  /** The browser has `speechSynthesis`. */
  browserCanSpeak: boolean;
  /** Replies go to the server's voice (false without a key, or after a 501). */
  serverVoice: boolean;
  /** True once replies are spoken by the browser (no server voice, or it failed). */
  browserVoice: boolean;
  /** Id of the reply being spoken. */
  speakingId: string | null;
  autoSpeak: boolean;
  /** Voices from `/api/voices`; null until loaded. */
  voices: ClientVoice[] | null;
  /** The voice list was asked for (and has not failed since). */
  voicesRequested: boolean;
  voiceId: string | null;
  /** Why the voice picker is unavailable, or null. */
  voicesNote: string | null;
  micMode: MicMode;
  mic: MicState;
  /** The hands-free machine (`phase: "off"` when not in hands-free mode). */
  handsFree: HandsFreeMachine;
  /** Last voice problem, for the composer's notice line. */
  notice: string | null;
}

/** What happened, as the hook reports it. */
export type VoiceAction =
  /** The hook's first effect: what the browser and `localStorage` say. */
  | {
    type: "hydrated";
    autoSpeak: boolean;
    savedVoiceId: string | null;
    browserCanSpeak: boolean;
    micMode: MicMode;
  }
  /** A reply started being spoken (clears the notice). */
  | { type: "speak/started"; id: string }
  /** Speaking ended or was stopped. */
  | { type: "speak/stopped" }
  /** Replies are now read by the browser; `serverGone` = the server has no voice (a 501). */
  | { type: "speak/browser"; serverGone: boolean }
  | { type: "notice"; text: string | null }
  | { type: "auto-speak"; on: boolean }
  | { type: "voice/chosen"; id: string }
  | { type: "voices/requested" }
  /** The list arrived; a chosen voice not in it is replaced by `defaultVoiceId`. */
  | { type: "voices/loaded"; voices: ClientVoice[]; defaultVoiceId: string | null }
  | { type: "voices/failed"; note: string }
  | { type: "mic"; mic: MicState }
  | { type: "mic/mode"; mode: MicMode }
  /** The hands-free machine moved to `machine`; its notice, if any, goes to the notice line. */
  | { type: "hands-free"; machine: HandsFreeMachine };

const NO_SERVER_VOICE_NOTE =
  "The server has no voice service (ELEVENLABS_API_KEY is not set): replies are read by this browser's own voice.";

/** The state the server renders with (nothing known about the browser yet). */
export function initialVoiceState(config: VoiceConfig): VoiceState {
  const server = config.provider === "elevenlabs";
  return {
    hydrated: false,
    browserCanSpeak: false,
    serverVoice: server,
    browserVoice: !server,
    speakingId: null,
    autoSpeak: false,
    voices: null,
    voicesRequested: false,
    voiceId: config.defaultVoiceId,
    voicesNote: server ? null : NO_SERVER_VOICE_NOTE,
    micMode: "none",
    mic: "idle",
    handsFree: HANDS_FREE_OFF,
    notice: null,
  };
}

/** The state after `action`; returns `state` itself when nothing changes. */
export function voiceReducer(state: VoiceState, action: VoiceAction): VoiceState {
  switch (action.type) {
    case "hydrated":
      return {
        ...state,
        hydrated: true,
        autoSpeak: action.autoSpeak,
        voiceId: action.savedVoiceId !== null && state.serverVoice ? action.savedVoiceId : state.voiceId,
        browserCanSpeak: action.browserCanSpeak,
        micMode: action.micMode,
      };
    case "speak/started":
      return { ...state, speakingId: action.id, notice: null };
    case "speak/stopped":
      return state.speakingId === null ? state : { ...state, speakingId: null };
    case "speak/browser":
      if (state.browserVoice && (!action.serverGone || !state.serverVoice)) return state;
      return { ...state, browserVoice: true, serverVoice: action.serverGone ? false : state.serverVoice };
    case "notice":
      return state.notice === action.text ? state : { ...state, notice: action.text };
    case "auto-speak":
      return state.autoSpeak === action.on ? state : { ...state, autoSpeak: action.on };
    case "voice/chosen":
      return state.voiceId === action.id ? state : { ...state, voiceId: action.id };
    case "voices/requested":
      return state.voicesRequested ? state : { ...state, voicesRequested: true };
    case "voices/loaded":
      return {
        ...state,
        voices: action.voices,
        voiceId: action.voices.some((v) => v.id === state.voiceId) ? state.voiceId : action.defaultVoiceId,
      };
    case "voices/failed":
      return { ...state, voicesRequested: false, voicesNote: action.note };
    case "mic":
      return state.mic === action.mic ? state : { ...state, mic: action.mic };
    case "mic/mode":
      return state.micMode === action.mode ? state : { ...state, micMode: action.mode };
    case "hands-free":
      return {
        ...state,
        handsFree: action.machine,
        notice: action.machine.notice || state.notice,
      };
  }
}

/** True while hands-free mode is on. */
export const handsFreeOn = (state: VoiceState): boolean => state.handsFree.phase !== "off";
