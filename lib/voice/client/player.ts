/**
 * Speaks a reply with low latency: the reply is split into sentences, each is fetched from
 * `POST /api/tts`, and the first starts playing while the next ones are still being synthesized
 * (up to `prefetch` requests ahead). When the server has no voice provider (501) or fails
 * mid-way, the rest of the reply is spoken by the browser's `speechSynthesis` when it has one.
 *
 * DOM-API based and framework-free; audio output goes through an {@link AudioSink} (an
 * `HTMLAudioElement` by default) so tests and islands can observe or replace it.
 */
import { packSentences, type SplitOptions, splitSentences } from "../sentences.ts";
import { fetchSpeech, VoiceApiError, type VoiceApiOptions } from "./api.ts";
import { browserSpeechAvailable, speakWithBrowser } from "./browser_speech.ts";

/** Plays one clip and resolves when it has ended (or `signal` aborts). */
export interface AudioSink {
  play(clip: Blob, signal: AbortSignal): Promise<void>;
}

/** Plays clips through one `HTMLAudioElement` (pass the island's element to observe its events). */
export function htmlAudioSink(audio: HTMLAudioElement = new Audio()): AudioSink {
  return {
    play(clip, signal) {
      return new Promise<void>((resolve, reject) => {
        const url = URL.createObjectURL(clip);
        const done = (err?: Error) => {
          audio.removeEventListener("ended", onEnded);
          audio.removeEventListener("error", onError);
          signal.removeEventListener("abort", onAbort);
          URL.revokeObjectURL(url);
          if (err) reject(err);
          else resolve();
        };
        const onEnded = () => done();
        const onError = () => done(new Error(`audio playback failed (${audio.error?.code ?? "unknown"})`));
        const onAbort = () => {
          audio.pause();
          done();
        };
        audio.addEventListener("ended", onEnded);
        audio.addEventListener("error", onError);
        signal.addEventListener("abort", onAbort, { once: true });
        audio.src = url;
        audio.play().catch((err) => done(err instanceof Error ? err : new Error(String(err))));
      });
    },
  };
}

/** What the player is doing. */
export type PlayerState = "idle" | "loading" | "playing";

/** How a `speak` call ended. */
export type SpeakOutcome = "played" | "browser" | "stopped";

/** Options of {@link SpeechPlayer}. */
export interface SpeechPlayerOptions extends Omit<VoiceApiOptions, "signal"> {
  voiceId?: string;
  /** Split into sentences (default true); false sends the reply as one request (up to `maxRequestChars`). */
  split?: boolean;
  splitOptions?: SplitOptions;
  /** Longest text per request when not splitting; default 2500 (the server's limit). */
  maxRequestChars?: number;
  /** Requests in flight beyond the clip playing; default 2. */
  prefetch?: number;
  /** Output; default {@link htmlAudioSink}. */
  sink?: AudioSink;
  /** Browser fallback; default `speakWithBrowser` when `speechSynthesis` exists, `null` disables. */
  fallback?: ((text: string, signal: AbortSignal) => Promise<void>) | null;
  onState?: (state: PlayerState) => void;
  /** Called when a sentence starts playing (index into the split reply). */
  onSentence?: (sentence: string, index: number) => void;
  /** Called when the player falls back to browser speech, with the reason. */
  onFallback?: (error: VoiceApiError | Error) => void;
}

/** Sentence-pipelined text-to-speech player. One reply at a time: `speak` stops the previous one. */
export class SpeechPlayer {
  #options: SpeechPlayerOptions;
  #current: AbortController | null = null;
  #state: PlayerState = "idle";

  constructor(options: SpeechPlayerOptions = {}) {
    this.#options = options;
  }

  /** Current state. */
  get state(): PlayerState {
    return this.#state;
  }

  /** Changes the voice for later replies. */
  setVoice(voiceId: string | undefined): void {
    this.#options = { ...this.#options, voiceId };
  }

  /** Stops what is playing (and cancels pending requests). */
  stop(): void {
    this.#current?.abort();
    this.#current = null;
    this.#set("idle");
  }

  #set(state: PlayerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }

  /** Chunks a reply is spoken in. */
  chunksOf(text: string): string[] {
    const o = this.#options;
    if (o.split === false) {
      return packSentences(text, o.maxRequestChars ?? 2500);
    }
    return splitSentences(text, o.splitOptions);
  }

  /**
   * Speaks `text`. Resolves `"played"` when the server's audio played to the end, `"browser"`
   * when (part of) it was spoken by the browser instead, `"stopped"` when `stop()` or a newer
   * `speak` interrupted it. Rejects when neither the server nor the browser can speak.
   */
  async speak(text: string): Promise<SpeakOutcome> {
    this.stop();
    const controller = new AbortController();
    this.#current = controller;
    const { signal } = controller;
    const o = this.#options;
    const chunks = this.chunksOf(text);
    const sink = o.sink ?? htmlAudioSink();
    const prefetch = Math.max(0, o.prefetch ?? 2);
    const clips: Array<Promise<Blob>> = [];
    const request = (i: number) => {
      if (i < chunks.length && !clips[i]) {
        clips[i] = fetchSpeech(chunks[i], { ...o, voiceId: o.voiceId, signal });
        clips[i].catch(() => {}); // awaited in order below; avoid unhandled rejections meanwhile
      }
    };
    try {
      for (let i = 0; i < chunks.length; i++) {
        for (let j = i; j <= i + prefetch; j++) request(j);
        this.#set("loading");
        let clip: Blob;
        try {
          clip = await clips[i];
        } catch (err) {
          if (signal.aborted) return "stopped";
          return await this.#fallback(chunks.slice(i).join(" "), err as Error, signal);
        }
        if (signal.aborted) return "stopped";
        this.#set("playing");
        o.onSentence?.(chunks[i], i);
        await sink.play(clip, signal);
        if (signal.aborted) return "stopped";
      }
      return "played";
    } finally {
      if (this.#current === controller) {
        controller.abort(); // cancels prefetches left over after a failure
        this.#current = null;
        this.#set("idle");
      }
    }
  }

  async #fallback(rest: string, error: Error, signal: AbortSignal): Promise<SpeakOutcome> {
    const o = this.#options;
    const fallback = o.fallback === undefined
      ? (browserSpeechAvailable() ? (t: string, s: AbortSignal) => speakWithBrowser(t, { signal: s }) : null)
      : o.fallback;
    if (!fallback) throw error;
    o.onFallback?.(error);
    this.#set("playing");
    await fallback(rest, signal);
    return signal.aborted ? "stopped" : "browser";
  }
}
