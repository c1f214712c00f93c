/**
 * Records speech from the microphone with `MediaRecorder` and sends it to `POST /api/stt`.
 * Stops by itself at `maxDurationMs` and, optionally, after `silenceMs` of quiet following speech
 * (measured with a Web Audio `AnalyserNode`), which is what a hands-free loop needs.
 */
import { transcribe, type VoiceApiOptions } from "./api.ts";

/** Container/codec preferences, best first (Chrome/Firefox: WebM/Opus; Safari: MP4/AAC). */
export const RECORDER_MIME_TYPES = [
  "audio/webm;codecs=opus",
  "audio/ogg;codecs=opus",
  "audio/webm",
  "audio/mp4",
] as const;

/** First of {@link RECORDER_MIME_TYPES} the recorder supports, or undefined (browser default). */
export function pickRecorderMimeType(
  isTypeSupported: (type: string) => boolean = (t) =>
    typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(t),
): string | undefined {
  return RECORDER_MIME_TYPES.find((t) => isTypeSupported(t));
}

/** True when this browser can record audio (`getUserMedia` + `MediaRecorder`, secure context). */
export function recordingSupported(): boolean {
  return typeof MediaRecorder !== "undefined" &&
    typeof navigator !== "undefined" && typeof navigator.mediaDevices?.getUserMedia === "function";
}

/** A finished recording. */
export interface Recording {
  blob: Blob;
  mimeType: string;
  durationMs: number;
  /** Why it stopped. */
  reason: "stopped" | "max_duration" | "silence";
}

/** Options of {@link VoiceRecorder}. */
export interface VoiceRecorderOptions {
  /** Hard stop, ms. Default 110 000 (under the server's 120 s). */
  maxDurationMs?: number;
  /** Stop after this much quiet once speech was heard, ms; 0 = off (default). */
  silenceMs?: number;
  /** RMS level (0-1) above which input counts as speech. Default 0.02. */
  speechLevel?: number;
  /** Microphone access; default `navigator.mediaDevices.getUserMedia`. */
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  /** Input level 0-1, about 20 times a second, for a meter. */
  onLevel?: (rms: number) => void;
}

/** One recording at a time from the microphone. */
export class VoiceRecorder {
  #options: VoiceRecorderOptions;
  #recorder: MediaRecorder | null = null;
  #stream: MediaStream | null = null;
  #done: Promise<Recording> | null = null;
  #stopReason: Recording["reason"] = "stopped";
  #cleanup: Array<() => void> = [];

  constructor(options: VoiceRecorderOptions = {}) {
    this.#options = options;
  }

  /** True between `start()` and the end of the recording. */
  get recording(): boolean {
    return this.#recorder !== null && this.#recorder.state !== "inactive";
  }

  /**
   * Asks for the microphone and starts recording. Resolves once recording runs, with a promise of
   * the finished {@link Recording} (it settles on `stop()`, at the duration limit, or on silence).
   * Rejects with the browser's error (e.g. `NotAllowedError`) when the microphone is refused.
   */
  async start(): Promise<{ done: Promise<Recording> }> {
    if (this.recording) throw new Error("already recording");
    const o = this.#options;
    const getUserMedia = o.getUserMedia ?? ((c) => navigator.mediaDevices.getUserMedia(c));
    const stream = await getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    this.#stream = stream;
    const mimeType = pickRecorderMimeType();
    const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    this.#recorder = recorder;
    this.#stopReason = "stopped";
    const parts: Blob[] = [];
    const started = performance.now();
    recorder.addEventListener("dataavailable", (e) => {
      if (e.data.size > 0) parts.push(e.data);
    });
    this.#done = new Promise<Recording>((resolve, reject) => {
      recorder.addEventListener("stop", () => {
        const type = recorder.mimeType || mimeType || "audio/webm";
        this.#release();
        resolve({
          blob: new Blob(parts, { type }),
          mimeType: type,
          durationMs: performance.now() - started,
          reason: this.#stopReason,
        });
      }, { once: true });
      recorder.addEventListener("error", () => {
        this.#release();
        reject(new Error("recording failed"));
      }, { once: true });
    });
    recorder.start(250);
    const max = o.maxDurationMs ?? 110_000;
    const timer = setTimeout(() => this.#stop("max_duration"), max);
    this.#cleanup.push(() => clearTimeout(timer));
    if (o.silenceMs || o.onLevel) this.#watchLevel(stream);
    return { done: this.#done };
  }

  /** Stops recording; resolves with the recording. */
  stop(): Promise<Recording> {
    if (!this.#done) return Promise.reject(new Error("not recording"));
    this.#stop("stopped");
    return this.#done;
  }

  /** Stops and discards the recording, releasing the microphone. */
  cancel(): void {
    this.#done?.catch(() => {});
    this.#stop("stopped");
  }

  #stop(reason: Recording["reason"]): void {
    if (this.#recorder && this.#recorder.state !== "inactive") {
      this.#stopReason = reason;
      this.#recorder.stop();
    }
  }

  #release(): void {
    for (const f of this.#cleanup.splice(0)) f();
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
    this.#recorder = null;
  }

  #watchLevel(stream: MediaStream): void {
    const o = this.#options;
    if (typeof AudioContext === "undefined") return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const speechLevel = o.speechLevel ?? 0.02;
    let heardSpeech = false;
    let quietSince = performance.now();
    const interval = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const rms = Math.sqrt(sum / samples.length);
      o.onLevel?.(rms);
      const now = performance.now();
      if (rms >= speechLevel) {
        heardSpeech = true;
        quietSince = now;
      } else if (o.silenceMs && heardSpeech && now - quietSince >= o.silenceMs) {
        this.#stop("silence");
      }
    }, 50);
    this.#cleanup.push(() => {
      clearInterval(interval);
      context.close().catch(() => {});
    });
  }
}

/** Sends a recording to `POST /api/stt` and resolves with the transcript text. */
export async function transcribeRecording(
  recording: Recording,
  options: Omit<VoiceApiOptions, "signal"> & { signal?: AbortSignal } = {},
): Promise<string> {
  const { text } = await transcribe(recording.blob, { ...options, durationMs: recording.durationMs });
  return text;
}
