/**
 * The browser's own speech: `speechSynthesis` for speaking when the server has no voice provider,
 * and `SpeechRecognition` (Chrome: `webkitSpeechRecognition`) for dictation where it exists.
 */
import { splitSentences } from "../sentences.ts";

/** True when the browser can speak (`speechSynthesis`). */
export function browserSpeechAvailable(): boolean {
  return typeof globalThis.speechSynthesis !== "undefined" &&
    typeof globalThis.SpeechSynthesisUtterance !== "undefined";
}

/** Options of {@link speakWithBrowser}. */
export interface BrowserSpeakOptions {
  /** Name of a voice from `speechSynthesis.getVoices()`. */
  voiceName?: string;
  lang?: string;
  /** 0.1-10, default 1. */
  rate?: number;
  signal?: AbortSignal;
  /** Called as each sentence starts. */
  onSentence?: (sentence: string, index: number) => void;
}

/**
 * Speaks a reply with `speechSynthesis`, one utterance per sentence (Chrome stops long
 * utterances after about 15 s). Resolves when done or aborted; rejects when the browser cannot
 * speak or reports an error.
 */
export async function speakWithBrowser(text: string, options: BrowserSpeakOptions = {}): Promise<void> {
  if (!browserSpeechAvailable()) throw new Error("This browser has no speech synthesis.");
  const synth = globalThis.speechSynthesis;
  const voice = options.voiceName ? synth.getVoices().find((v) => v.name === options.voiceName) : undefined;
  const sentences = splitSentences(text);
  const onAbort = () => synth.cancel();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (const [i, sentence] of sentences.entries()) {
      if (options.signal?.aborted) return;
      options.onSentence?.(sentence, i);
      await new Promise<void>((resolve, reject) => {
        const u = new SpeechSynthesisUtterance(sentence);
        if (voice) u.voice = voice;
        if (options.lang) u.lang = options.lang;
        if (options.rate) u.rate = options.rate;
        u.onend = () => resolve();
        u.onerror = (e) =>
          e.error === "canceled" || e.error === "interrupted"
            ? resolve()
            : reject(new Error(`speech synthesis failed: ${e.error}`));
        synth.speak(u);
      });
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** The minimal shape of the Web Speech API recognizer used here (not in TypeScript's DOM lib). */
interface Recognizer {
  lang: string;
  interimResults: boolean;
  maxAlternatives: number;
  continuous: boolean;
  start(): void;
  stop(): void;
  abort(): void;
  onresult:
    | ((e: { results: ArrayLike<ArrayLike<{ transcript: string }> & { isFinal: boolean }> }) => void)
    | null;
  onerror: ((e: { error: string }) => void) | null;
  onend: (() => void) | null;
}

function recognizerConstructor(): (new () => Recognizer) | undefined {
  const g = globalThis as unknown as {
    SpeechRecognition?: new () => Recognizer;
    webkitSpeechRecognition?: new () => Recognizer;
  };
  return g.SpeechRecognition ?? g.webkitSpeechRecognition;
}

/** True when the browser has speech recognition. */
export function browserRecognitionAvailable(): boolean {
  return recognizerConstructor() !== undefined;
}

/**
 * Listens for one utterance with the browser's recognizer and resolves with its text (`""` when
 * nothing was heard). Rejects when unavailable or on a recognizer error such as `not-allowed`.
 */
export function recognizeOnce(options: { lang?: string; signal?: AbortSignal } = {}): Promise<string> {
  const Ctor = recognizerConstructor();
  if (!Ctor) return Promise.reject(new Error("This browser has no speech recognition."));
  return new Promise((resolve, reject) => {
    const r = new Ctor();
    r.lang = options.lang ?? (globalThis.navigator?.language || "en-US");
    r.interimResults = false;
    r.maxAlternatives = 1;
    r.continuous = false;
    let text = "";
    let failed: Error | null = null;
    r.onresult = (e) => {
      text = Array.from(e.results).map((res) => res[0]?.transcript ?? "").join(" ").trim();
    };
    r.onerror = (e) => {
      if (e.error !== "no-speech" && e.error !== "aborted") {
        failed = new Error(`speech recognition: ${e.error}`);
      }
    };
    r.onend = () => (failed ? reject(failed) : resolve(text));
    options.signal?.addEventListener("abort", () => r.abort(), { once: true });
    r.start();
  });
}
