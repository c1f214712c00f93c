/**
 * The voice layer's reducer, without a browser: the exact state after each action, that actions
 * which change nothing return the same object (so the store tells nobody), and the store holding it.
 */
import assert from "node:assert/strict";
import { createStore } from "../../components/chat/store.ts";
import { HANDS_FREE_OFF, transition } from "../../components/voice/hands_free.ts";
import {
  handsFreeOn,
  initialVoiceState,
  type VoiceAction,
  voiceReducer,
  type VoiceState,
} from "../../components/voice/voice_state.ts";

const ELEVEN = initialVoiceState({ provider: "elevenlabs", defaultVoiceId: "v-default" });
const BROWSER = initialVoiceState({ provider: "browser", defaultVoiceId: null });
const NO_KEY_NOTE =
  "The server has no voice service (ELEVENLABS_API_KEY is not set): replies are read by this browser's own voice.";
const voices = [{ id: "v-a", name: "Ada" }, { id: "v-default", name: "Default" }] as const;

const run = (state: VoiceState, ...actions: VoiceAction[]) => actions.reduce(voiceReducer, state);

Deno.test("voice state: initial state with and without a server voice", () => {
  assert.deepEqual(ELEVEN, {
    hydrated: false,
    browserCanSpeak: false,
    serverVoice: true,
    browserVoice: false,
    speakingId: null,
    autoSpeak: false,
    voices: null,
    voicesRequested: false,
    voiceId: "v-default",
    voicesNote: null,
    micMode: "none",
    mic: "idle",
    handsFree: HANDS_FREE_OFF,
    notice: null,
  });
  assert.deepEqual(BROWSER, {
    ...ELEVEN,
    serverVoice: false,
    browserVoice: true,
    voiceId: null,
    voicesNote: NO_KEY_NOTE,
  });
});

Deno.test("voice state: hydrated takes storage and capabilities; a saved voice only with a server voice", () => {
  const hydrate = { type: "hydrated", autoSpeak: true, savedVoiceId: "v-a", browserCanSpeak: true } as const;
  assert.deepEqual(voiceReducer(ELEVEN, { ...hydrate, micMode: "server" }), {
    ...ELEVEN,
    hydrated: true,
    autoSpeak: true,
    voiceId: "v-a",
    browserCanSpeak: true,
    micMode: "server",
  });
  assert.deepEqual(voiceReducer(BROWSER, { ...hydrate, micMode: "browser" }), {
    ...BROWSER,
    hydrated: true,
    autoSpeak: true,
    browserCanSpeak: true,
    micMode: "browser",
  });
  assert.equal(
    voiceReducer(ELEVEN, { ...hydrate, savedVoiceId: null, micMode: "none" }).voiceId,
    "v-default",
  );
});

Deno.test("voice state: speaking starts (clearing the notice) and stops", () => {
  const withNotice = voiceReducer(ELEVEN, { type: "notice", text: "Voice input failed. Denied." });
  assert.equal(withNotice.notice, "Voice input failed. Denied.");
  const speaking = voiceReducer(withNotice, { type: "speak/started", id: "m1" });
  assert.deepEqual(speaking, { ...ELEVEN, speakingId: "m1", notice: null });
  assert.deepEqual(voiceReducer(speaking, { type: "speak/started", id: "m2" }), {
    ...speaking,
    speakingId: "m2",
  });
  assert.deepEqual(voiceReducer(speaking, { type: "speak/stopped" }), ELEVEN);
  assert.equal(voiceReducer(ELEVEN, { type: "speak/stopped" }), ELEVEN, "no change, same object");
  assert.equal(voiceReducer(ELEVEN, { type: "notice", text: null }), ELEVEN);
});

Deno.test("voice state: falling back to the browser voice; a 501 also ends the server voice", () => {
  const failed = voiceReducer(ELEVEN, { type: "speak/browser", serverGone: false });
  assert.deepEqual(failed, { ...ELEVEN, browserVoice: true });
  assert.equal(voiceReducer(failed, { type: "speak/browser", serverGone: false }), failed);
  const gone = voiceReducer(failed, { type: "speak/browser", serverGone: true });
  assert.deepEqual(gone, { ...ELEVEN, browserVoice: true, serverVoice: false });
  assert.deepEqual(voiceReducer(ELEVEN, { type: "speak/browser", serverGone: true }), gone);
  assert.equal(voiceReducer(gone, { type: "speak/browser", serverGone: true }), gone);
  assert.equal(voiceReducer(BROWSER, { type: "speak/browser", serverGone: false }), BROWSER);
});

Deno.test("voice state: auto-speak and the chosen voice", () => {
  assert.deepEqual(voiceReducer(ELEVEN, { type: "auto-speak", on: true }), { ...ELEVEN, autoSpeak: true });
  assert.equal(voiceReducer(ELEVEN, { type: "auto-speak", on: false }), ELEVEN);
  assert.deepEqual(voiceReducer(ELEVEN, { type: "voice/chosen", id: "v-a" }), { ...ELEVEN, voiceId: "v-a" });
  assert.equal(voiceReducer(ELEVEN, { type: "voice/chosen", id: "v-default" }), ELEVEN);
});

Deno.test("voice state: the voice list is requested once, loaded, or fails (and may be asked again)", () => {
  const requested = voiceReducer(ELEVEN, { type: "voices/requested" });
  assert.deepEqual(requested, { ...ELEVEN, voicesRequested: true });
  assert.equal(voiceReducer(requested, { type: "voices/requested" }), requested);

  const chosen = voiceReducer(requested, { type: "voice/chosen", id: "v-a" });
  const kept = voiceReducer(chosen, {
    type: "voices/loaded",
    voices: [...voices],
    defaultVoiceId: "v-default",
  });
  assert.deepEqual(kept, { ...chosen, voices: [...voices] });

  const unknown = voiceReducer(requested, { type: "voice/chosen", id: "v-removed" });
  const replaced = voiceReducer(unknown, {
    type: "voices/loaded",
    voices: [...voices],
    defaultVoiceId: "v-default",
  });
  assert.deepEqual(replaced, { ...requested, voices: [...voices], voiceId: "v-default" });

  const failed = voiceReducer(requested, {
    type: "voices/failed",
    note: "The voice list could not be loaded: 429",
  });
  assert.deepEqual(failed, {
    ...ELEVEN,
    voicesRequested: false,
    voicesNote: "The voice list could not be loaded: 429",
  });
});

Deno.test("voice state: the microphone's phases and its mode after the server loses speech-to-text", () => {
  const states = run(
    { ...ELEVEN, micMode: "server" },
    { type: "mic", mic: "recording" },
    { type: "mic", mic: "transcribing" },
  );
  assert.deepEqual(states, { ...ELEVEN, micMode: "server", mic: "transcribing" });
  assert.deepEqual(voiceReducer(states, { type: "mic", mic: "idle" }), { ...ELEVEN, micMode: "server" });
  assert.equal(voiceReducer(ELEVEN, { type: "mic", mic: "idle" }), ELEVEN);
  assert.deepEqual(voiceReducer({ ...ELEVEN, micMode: "server" }, { type: "mic/mode", mode: "browser" }), {
    ...ELEVEN,
    micMode: "browser",
  });
  assert.equal(voiceReducer(ELEVEN, { type: "mic/mode", mode: "none" }), ELEVEN);
});

Deno.test("voice state: hands-free machine states; the notice of a machine that ended goes to the notice line", () => {
  const start = transition(HANDS_FREE_OFF, { type: "start" });
  const on = voiceReducer(ELEVEN, { type: "hands-free", machine: start.state });
  assert.deepEqual(on, { ...ELEVEN, handsFree: { phase: "listening", emptyTurns: 0, notice: null } });
  assert.equal(handsFreeOn(on), true);
  assert.equal(handsFreeOn(ELEVEN), false);

  const failed = transition(start.state, {
    type: "listen-failed",
    message: "Microphone access was refused.",
  });
  assert.equal(failed.state.phase, "off");
  assert.ok(failed.state.notice);
  const off = voiceReducer({ ...on, notice: "older" }, { type: "hands-free", machine: failed.state });
  assert.deepEqual(off, { ...ELEVEN, handsFree: failed.state, notice: failed.state.notice });
  assert.equal(handsFreeOn(off), false);

  // A machine without a notice keeps the line as it is.
  const stopped = voiceReducer({ ...on, notice: "older" }, { type: "hands-free", machine: HANDS_FREE_OFF });
  assert.deepEqual(stopped, { ...ELEVEN, notice: "older" });
});

Deno.test("voice state: in the store, getState is current at once and only changes notify", () => {
  const store = createStore(voiceReducer, ELEVEN);
  let calls = 0;
  const unsubscribe = store.subscribe(() => calls++);
  store.dispatch({ type: "speak/started", id: "m1" });
  assert.equal(store.getState().speakingId, "m1");
  store.dispatch({ type: "speak/stopped" });
  store.dispatch({ type: "speak/stopped" });
  assert.equal(calls, 2);
  unsubscribe();
  store.dispatch({ type: "auto-speak", on: true });
  assert.equal(calls, 2);
  assert.equal(store.getState().autoSpeak, true);
});
