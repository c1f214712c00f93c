/**
 * Browser-side calls to the voice endpoints (`/api/tts`, `/api/voices`, `/api/stt`). Failures
 * throw {@link VoiceApiError} carrying the server's `{ error: { code, message } }`; code
 * `voice_not_configured` (501) means "no provider key: use the browser's own speech".
 */

import { CodedError } from "../../../ml/errors.ts";

/** A failed voice API call. */
export class VoiceApiError extends CodedError<string> {
  /** HTTP status, 0 for network failures. */
  readonly status: number;
  /** From `Retry-After` on 429/503. */
  readonly retryAfterSeconds?: number;

  constructor(code: string, status: number, message: string, retryAfterSeconds?: number) {
    // code: the server's (`voice_not_configured`, `rate_limited`, ...) or `network_error`.
    super(code, message);
    this.name = "VoiceApiError";
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** True when the server has no voice provider (answer 501): fall back to browser speech. */
  get notConfigured(): boolean {
    return this.status === 501;
  }
}

/** Options shared by the API calls. */
export interface VoiceApiOptions {
  /** Fetch to use (tests, or a wrapper adding headers). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** URL prefix of the API, default `""` (same origin). */
  baseUrl?: string;
  signal?: AbortSignal;
}

async function failure(res: Response): Promise<VoiceApiError> {
  let code = `http_${res.status}`;
  let message = `Voice request failed with status ${res.status}`;
  try {
    const body = await res.json() as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // Not JSON: keep the generic message.
  }
  const retry = Number(res.headers.get("retry-after"));
  return new VoiceApiError(
    code,
    res.status,
    message,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

async function call(path: string, init: RequestInit, options: VoiceApiOptions): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let res: Response;
  try {
    res = await doFetch(`${options.baseUrl ?? ""}${path}`, { ...init, signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new VoiceApiError("network_error", 0, "The voice service could not be reached.");
  }
  if (!res.ok) throw await failure(res);
  return res;
}

/** `POST /api/tts`: the response (an `audio/mpeg` stream) for `text`. */
export function requestSpeech(
  text: string,
  options: VoiceApiOptions & { voiceId?: string } = {},
): Promise<Response> {
  return call("/api/tts", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(options.voiceId ? { text, voiceId: options.voiceId } : { text }),
  }, options);
}

/** `POST /api/tts`, read to the end: the whole clip as an `audio/mpeg` Blob. */
export async function fetchSpeech(
  text: string,
  options: VoiceApiOptions & { voiceId?: string } = {},
): Promise<Blob> {
  const res = await requestSpeech(text, options);
  try {
    return new Blob([await res.arrayBuffer()], { type: "audio/mpeg" });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new VoiceApiError("stream_broken", res.status, "The audio stream broke off.");
  }
}

/** A voice offered by the server. */
export interface ClientVoice {
  id: string;
  name: string;
  category?: string;
  previewUrl?: string;
}

/** `GET /api/voices`. */
export async function fetchVoices(
  options: VoiceApiOptions = {},
): Promise<{ voices: ClientVoice[]; defaultVoiceId: string }> {
  const res = await call("/api/voices", { method: "GET" }, options);
  return await res.json();
}

/** `POST /api/stt` with a recording: the transcript. */
export async function transcribe(
  audio: Blob,
  options: VoiceApiOptions & { durationMs?: number; filename?: string } = {},
): Promise<{ text: string; languageCode?: string }> {
  const form = new FormData();
  const ext = (audio.type.split(";")[0].split("/")[1] ?? "bin").replace("x-", "");
  form.set("file", audio, options.filename ?? `speech.${ext}`);
  if (options.durationMs !== undefined) form.set("durationMs", String(Math.round(options.durationMs)));
  const res = await call("/api/stt", { method: "POST", body: form }, options);
  return await res.json();
}
