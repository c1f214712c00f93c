/**
 * Voice failures as sentences a person can act on. Browser APIs reject with names and codes
 * (`NotAllowedError`, `speech recognition: not-allowed`, `audio playback failed (4)`); the voice
 * server already answers with sentences, which are kept.
 */

/** Sentences for the error names of `getUserMedia`, `play()` and media elements. */
const BY_NAME: Record<string, string> = {
  NotAllowedError:
    "The browser blocked the microphone or audio. Allow it in the site settings and try again.",
  SecurityError: "The browser blocked the microphone or audio. Allow it in the site settings and try again.",
  NotFoundError: "No microphone was found. Connect one and try again.",
  NotReadableError: "The microphone is busy in another application. Close it there and try again.",
  OverconstrainedError: "The microphone does not support the needed recording settings.",
  NotSupportedError: "This browser cannot play or record this audio format.",
  AbortError: "The voice request was interrupted.",
};

/** Sentences for the Web Speech API's recognition and synthesis error codes. */
const BY_SPEECH_CODE: Record<string, string> = {
  "not-allowed": "The browser blocked the microphone. Allow it in the site settings and try again.",
  "service-not-allowed":
    "The browser's speech recognition is turned off. Use the microphone with a voice key instead.",
  "audio-capture": "No microphone could be used. Check that one is connected.",
  "network": "The browser's speech service could not be reached. Check the connection and try again.",
  "language-not-supported": "The browser cannot recognize or speak this language.",
  "no-speech": "Nothing was heard. Try again a little closer to the microphone.",
  "synthesis-failed": "The browser could not read the text aloud.",
  "synthesis-unavailable": "The browser has no voice available to read aloud.",
  "audio-busy": "The audio output is busy. Try again.",
  "interrupted": "Reading aloud was interrupted.",
  "canceled": "Reading aloud was interrupted.",
};

/** Sentences for `MediaError.code` (1 aborted, 2 network, 3 decode, 4 source not supported). */
const BY_MEDIA_CODE: Record<string, string> = {
  "1": "Playback was interrupted.",
  "2": "The audio could not be downloaded. Check the connection and try again.",
  "3": "The audio could not be decoded.",
  "4": "The audio could not be played in this browser.",
};

/** Makes sure the text reads as a sentence: a capital first letter and a final full stop. */
function sentence(text: string): string {
  const t = text.trim();
  if (t === "") return "Something went wrong with voice.";
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** The error as one sentence for the notice line. */
export function voiceErrorSentence(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === "string" && BY_NAME[name]) return BY_NAME[name];
  const text = err instanceof Error ? err.message : typeof err === "string" ? err : "";
  const speech = /^speech (?:recognition|synthesis)(?: failed)?: ([a-z-]+)$/.exec(text);
  if (speech) {
    return BY_SPEECH_CODE[speech[1]] ?? sentence(`the browser's speech service failed (${speech[1]})`);
  }
  const media = /^audio playback failed \((\w+)\)$/.exec(text);
  if (media) return BY_MEDIA_CODE[media[1]] ?? "The audio could not be played.";
  if (text === "recording failed") return "The recording failed. Try again.";
  return sentence(text);
}
