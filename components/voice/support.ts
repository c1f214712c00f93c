/**
 * What this browser can do for voice, checked without loading the voice engine (same tests as
 * `lib/voice/client`'s `recordingSupported`, `browserSpeechAvailable`, `browserRecognitionAvailable`).
 */

/** `getUserMedia` + `MediaRecorder` (a secure context): recordings can go to `/api/stt`. */
export function canRecord(): boolean {
  return typeof MediaRecorder !== "undefined" && typeof navigator.mediaDevices?.getUserMedia === "function";
}

/** `speechSynthesis`: the browser can read replies itself. */
export function canSynthesize(): boolean {
  return typeof globalThis.speechSynthesis !== "undefined" &&
    typeof globalThis.SpeechSynthesisUtterance !== "undefined";
}

/** `SpeechRecognition` (Chrome: `webkitSpeechRecognition`): the browser can dictate itself. */
export function canRecognize(): boolean {
  const g = globalThis as { SpeechRecognition?: unknown; webkitSpeechRecognition?: unknown };
  return !!(g.SpeechRecognition ?? g.webkitSpeechRecognition);
}
