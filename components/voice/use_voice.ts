/**
 * The chat page's voice state in one hook: speaking replies (server voice through the page's
 * `<audio>`, or the browser's `speechSynthesis`), auto-speak, the voice choice, dictation into the
 * composer (recording -> `/api/stt`, or the browser's recognizer), and the hands-free loop
 * (listen -> send -> speak the reply -> listen again). Browser-only work happens in effects and
 * handlers, so the island still renders on the server.
 */
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { createStore, useStore } from "../chat/store.ts";
import type { ClientVoice } from "../../lib/voice/client/api.ts";
import type { SpeechPlayer } from "../../lib/voice/client/player.ts";
import type { VoiceConfig } from "../chat/types.ts";
import { canRecognize, canRecord, canSynthesize } from "./support.ts";
import { voiceErrorSentence } from "./voice_errors.ts";
import {
  type HandsFreeEffect,
  type HandsFreeEvent,
  type HandsFreeMachine,
  transition,
} from "./hands_free.ts";
import { handsFreeOn, initialVoiceState, type MicMode, type MicState, voiceReducer } from "./voice_state.ts";

export type { MicMode, MicState };

type Engine = typeof import("./engine.ts");
let enginePromise: Promise<Engine> | null = null;
/** The voice engine, fetched once on first use. */
const engine = (): Promise<Engine> => enginePromise ??= import("./engine.ts");

/** Hands-free conversation state (`off` = not in hands-free mode). */
export type HandsFreeState = HandsFreeMachine["phase"];

/** A finished reply, as the chat hands it to the voice layer. */
export interface SpokenReply {
  id: string;
  text: string;
}

/**
 * What the hook needs from the chat. Long-lived work (the hands-free loop, the Esc listener) keeps
 * the host of the render it started in, so its functions must act on the chat's current state
 * (through the chat's store or controller), not on values captured at render.
 */
export interface VoiceHost {
  config: VoiceConfig;
  /** Puts dictated text into the composer. */
  insertText(text: string): void;
  /** Sends `text` as the user's message; resolves with the finished reply, or null when there is none. */
  send(text: string): Promise<SpokenReply | null>;
  /** Stops a streaming reply. */
  stopReply(): void;
}

/** What the UI gets from {@link useVoice}. */
export interface Voice {
  audioRef: RefObject<HTMLAudioElement>;
  /** False until hydrated and when neither the server nor the browser can speak. */
  canSpeak: boolean;
  /** Why speaking is unavailable (title of the disabled buttons). */
  speakUnavailable: string;
  /** Id of the reply being spoken. */
  speakingId: string | null;
  /** True once replies are spoken by the browser (no server voice, or it failed). */
  browserVoice: boolean;
  toggleSpeak(reply: SpokenReply): void;
  stopSpeaking(): void;
  autoSpeak: boolean;
  setAutoSpeak(on: boolean): void;
  /** Called by the chat when a reply completes: speaks it when auto-speak is on. */
  replyDone(reply: SpokenReply): void;
  /** Voices from `/api/voices`; null until loaded (or when there is no server voice). */
  voices: ClientVoice[] | null;
  voiceId: string | null;
  setVoiceId(id: string): void;
  /** Loads the voice list once (when the voice menu opens). */
  loadVoices(): void;
  /** Why the voice picker is unavailable, or null. */
  voicesNote: string | null;
  micMode: MicMode;
  /** Why the microphone is unavailable (or how it works), for its title. */
  micTitle: string;
  mic: MicState;
  toggleMic(): void;
  handsFree: HandsFreeState;
  startHandsFree(): void;
  stopHandsFree(): void;
  /** Last voice problem, for the composer's notice line. */
  notice: string | null;
}

const AUTO_SPEAK_KEY = "mc-auto-speak";
const VOICE_KEY = "mc-voice";
/** Quiet after speech that ends a hands-free turn, ms. */
const TURN_SILENCE_MS = 1200;
/** Longest hands-free turn, ms. */
const TURN_MAX_MS = 30_000;
/** Input level (RMS) that counts as speech (the recorder's default). */
const SPEECH_LEVEL = 0.02;

const message = voiceErrorSentence;
/** A `VoiceApiError` for a 501: the server has no voice provider. */
const notConfigured = (err: unknown) => (err as { status?: unknown } | null)?.status === 501;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked (privacy settings)
  }
}

function micModeOf(config: VoiceConfig): MicMode {
  if (config.provider === "elevenlabs" && canRecord()) return "server";
  return canRecognize() ? "browser" : "none";
}

function micTitleOf(mode: MicMode, config: VoiceConfig): string {
  if (mode === "server") return "Dictate: record, then press again to transcribe";
  if (mode === "browser") return "Dictate with the browser's speech recognition";
  return config.provider === "elevenlabs"
    ? "Voice input is unavailable: this browser cannot record audio and has no speech recognition."
    : "Voice input is unavailable: the server has no speech-to-text (ELEVENLABS_API_KEY is not set) " +
      "and this browser has no speech recognition.";
}

/** The voice layer of the chat page. */
export function useVoice(host: VoiceHost): Voice {
  const { config } = host;
  const [store] = useState(() => createStore(voiceReducer, initialVoiceState(config)));
  const { dispatch, getState } = store;
  const state = useStore(store);

  // Resource handles only; the state lives in the store.
  const audioRef = useRef<HTMLAudioElement>(null);
  const player = useRef<SpeechPlayer | null>(null);
  const speaking = useRef<AbortController | null>(null);
  const capture = useRef<{ stop(): void; cancel(): void } | null>(null);

  useEffect(() => {
    const saved = storage();
    dispatch({
      type: "hydrated",
      autoSpeak: saved?.getItem(AUTO_SPEAK_KEY) === "1",
      savedVoiceId: saved?.getItem(VOICE_KEY) || null,
      browserCanSpeak: canSynthesize(),
      micMode: micModeOf(config),
    });
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.shiftKey) return;
      if (handsFreeOn(getState())) stopHandsFree();
      else if (capture.current) capture.current.cancel();
      else if (speaking.current) stopSpeaking();
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      player.current?.stop();
    };
  }, []);

  const canSpeak = state.hydrated && (state.serverVoice || state.browserCanSpeak);

  async function getPlayer(): Promise<SpeechPlayer> {
    const e = await engine();
    return player.current ??= new e.SpeechPlayer({
      voiceId: getState().voiceId ?? undefined,
      sink: e.htmlAudioSink(audioRef.current ?? undefined),
      onFallback: (err) => dispatch({ type: "speak/browser", serverGone: notConfigured(err) }),
    });
  }

  function stopSpeaking(): void {
    speaking.current?.abort();
    speaking.current = null;
    player.current?.stop();
    dispatch({ type: "speak/stopped" });
  }

  /** Speaks one reply; resolves when it has been spoken, stopped, or failed (with a notice). */
  async function speak(reply: SpokenReply): Promise<void> {
    stopSpeaking();
    const controller = new AbortController();
    speaking.current = controller;
    dispatch({ type: "speak/started", id: reply.id });
    try {
      const e = await engine();
      if (controller.signal.aborted) return;
      if (getState().serverVoice) {
        const p = await getPlayer();
        controller.signal.addEventListener("abort", () => p.stop(), { once: true });
        await p.speak(reply.text);
      } else {
        dispatch({ type: "speak/browser", serverGone: false });
        await e.speakWithBrowser(reply.text, { signal: controller.signal });
      }
    } catch (err) {
      if (!controller.signal.aborted) {
        dispatch({ type: "notice", text: `The reply could not be read aloud. ${message(err)}` });
      }
    } finally {
      if (speaking.current === controller) {
        speaking.current = null;
        dispatch({ type: "speak/stopped" });
      }
    }
  }

  /**
   * Captures one utterance as text: records and transcribes on the server, or uses the browser's
   * recognizer. `turn` = hands-free (stop on silence; skip transcription when nothing was heard).
   */
  async function listenOnce(turn: boolean): Promise<string> {
    const mode = getState().micMode;
    if (mode === "none") throw new Error(micTitleOf(mode, config));
    const e = await engine();
    if (mode === "browser") {
      const controller = new AbortController();
      capture.current = { stop: () => controller.abort(), cancel: () => controller.abort() };
      dispatch({ type: "mic", mic: "recording" });
      try {
        return await e.recognizeOnce({ signal: controller.signal });
      } finally {
        capture.current = null;
        dispatch({ type: "mic", mic: "idle" });
      }
    }
    let heard = false;
    let cancelled = false;
    const recorder = new e.VoiceRecorder({
      silenceMs: turn ? TURN_SILENCE_MS : 0,
      maxDurationMs: turn ? TURN_MAX_MS : undefined,
      speechLevel: SPEECH_LEVEL,
      onLevel: (rms) => {
        if (rms >= SPEECH_LEVEL) heard = true;
      },
    });
    capture.current = {
      stop: () => void recorder.stop().catch(() => {}),
      cancel: () => {
        cancelled = true;
        recorder.cancel();
      },
    };
    try {
      const { done } = await recorder.start();
      dispatch({ type: "mic", mic: "recording" });
      const recording = await done;
      if (cancelled || (turn && !heard)) return "";
      dispatch({ type: "mic", mic: "transcribing" });
      return await e.transcribeRecording(recording);
    } catch (err) {
      if (notConfigured(err)) {
        // The server lost its speech-to-text: use the browser's recognizer from now on, if any.
        dispatch({ type: "mic/mode", mode: canRecognize() ? "browser" : "none" });
      }
      throw err;
    } finally {
      capture.current = null;
      dispatch({ type: "mic", mic: "idle" });
    }
  }

  function toggleMic(): void {
    if (capture.current) {
      capture.current.stop();
      return;
    }
    const now = getState();
    if (now.mic !== "idle" || handsFreeOn(now)) return;
    dispatch({ type: "notice", text: null });
    listenOnce(false).then((text) => {
      if (text.trim() !== "") host.insertText(text.trim());
    }, (err) => dispatch({ type: "notice", text: `Voice input failed. ${message(err)}` }));
  }

  /** Applies one event to the hands-free machine; returns the effect to run. */
  function handsFreeStep(event: HandsFreeEvent): HandsFreeEffect {
    const next = transition(getState().handsFree, event);
    dispatch({ type: "hands-free", machine: next.state });
    if (next.effect.kind === "release") {
      capture.current?.cancel();
      stopSpeaking();
      if (next.effect.stopReply) host.stopReply();
    }
    return next.effect;
  }

  /** Runs the machine's effects (listen, send, speak) and feeds their outcomes back, until it is off. */
  async function handsFreeLoop(first: HandsFreeEffect): Promise<void> {
    let effect = first;
    while (handsFreeOn(getState())) {
      let event: HandsFreeEvent;
      if (effect.kind === "listen") {
        try {
          event = { type: "heard", text: await listenOnce(true) };
        } catch (err) {
          event = { type: "listen-failed", message: message(err) };
        }
      } else if (effect.kind === "send") {
        const reply = await host.send(effect.text);
        event = { type: "replied", reply };
      } else if (effect.kind === "speak") {
        await speak(effect.reply);
        event = { type: "spoken" };
      } else break;
      // Stopped meanwhile (button or Esc): the stop event already released everything.
      if (!handsFreeOn(getState())) break;
      effect = handsFreeStep(event);
    }
  }

  function startHandsFree(): void {
    const now = getState();
    if (handsFreeOn(now) || now.micMode === "none") return;
    capture.current?.cancel();
    stopSpeaking();
    dispatch({ type: "notice", text: null });
    void handsFreeLoop(handsFreeStep({ type: "start" }));
  }

  function stopHandsFree(): void {
    handsFreeStep({ type: "stop" });
  }

  return {
    audioRef,
    canSpeak,
    speakUnavailable: state.hydrated
      ? "This browser cannot speak and the server has no voice service (ELEVENLABS_API_KEY is not set)."
      : "Loading…",
    speakingId: state.speakingId,
    browserVoice: state.browserVoice,
    toggleSpeak(reply) {
      if (getState().speakingId === reply.id) stopSpeaking();
      else void speak(reply);
    },
    stopSpeaking,
    autoSpeak: state.autoSpeak,
    setAutoSpeak(on) {
      dispatch({ type: "auto-speak", on });
      storage()?.setItem(AUTO_SPEAK_KEY, on ? "1" : "0");
    },
    replyDone(reply) {
      const now = getState();
      if (now.autoSpeak && !handsFreeOn(now) && reply.text.trim() !== "") void speak(reply);
    },
    voices: state.voices,
    voiceId: state.voiceId,
    setVoiceId(id) {
      dispatch({ type: "voice/chosen", id });
      player.current?.setVoice(id);
      storage()?.setItem(VOICE_KEY, id);
    },
    loadVoices() {
      const now = getState();
      if (now.voicesRequested || !now.serverVoice) return;
      dispatch({ type: "voices/requested" });
      engine().then((e) => e.fetchVoices()).then(({ voices, defaultVoiceId }) => {
        const before = getState().voiceId;
        dispatch({ type: "voices/loaded", voices, defaultVoiceId });
        const after = getState().voiceId;
        if (after !== before && after !== null) player.current?.setVoice(after);
      }, (err) => {
        dispatch({
          type: "voices/failed",
          note: notConfigured(err)
            ? "The server has no voice service: replies are read by this browser's own voice."
            : `The voice list could not be loaded: ${message(err)}`,
        });
      });
    },
    voicesNote: state.voicesNote,
    micMode: state.micMode,
    micTitle: state.hydrated ? micTitleOf(state.micMode, config) : "Loading…",
    mic: state.mic,
    toggleMic,
    handsFree: state.handsFree.phase,
    startHandsFree,
    stopHandsFree,
    notice: state.notice,
  };
}
