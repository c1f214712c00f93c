/**
 * The voice endpoints as framework-free functions from a Web `Request` to a `Response`, for the
 * routes `POST /api/tts`, `GET /api/voices` and `POST /api/stt`.
 *
 * Every failure is a JSON `{ error: { code, message } }`: 501 when no provider is configured (the
 * client then uses the browser's speech), 400/405/413/415/429 for bad or over-limit requests (429
 * with `Retry-After`), 502 when the provider fails, 503 with `Retry-After` when the provider rate
 * limits us. Never a 500, and never the API key.
 */
import { z } from "zod";
import { VoiceError } from "./errors.ts";
import { DEFAULT_VOICE_LIMITS, normalizeMimeType, type VoiceLimits } from "./limits.ts";
import { type RateLimiter, TokenBucketLimiter } from "../security/token_bucket.ts";
import { probeAudioDurationSeconds } from "./audio_probe.ts";
import type { VoiceService } from "./service.ts";

/** What a voice handler needs besides the request. */
export interface VoiceContext {
  /** The browser session; rate limits are per session. */
  sessionId: string;
  /** The configured provider, or null when `ELEVENLABS_API_KEY` is unset. */
  voice: VoiceService | null;
  /** Rate limiter; default {@link defaultVoiceRateLimiter}. */
  limiter?: RateLimiter;
  /** Limits; default {@link DEFAULT_VOICE_LIMITS}. */
  limits?: VoiceLimits;
}

/** Process-wide in-memory limiter used when the context names none. */
export const defaultVoiceRateLimiter: RateLimiter = new TokenBucketLimiter();

/** Error codes the voice endpoints answer with. */
export type VoiceApiErrorCode =
  | "voice_not_configured"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "unsupported_audio_type"
  | "invalid_json"
  | "invalid_request"
  | "empty_text"
  | "text_too_long"
  | "body_too_large"
  | "empty_audio"
  | "audio_too_long"
  | "rate_limited"
  | "unknown_voice"
  | "voice_upstream_auth"
  | "voice_upstream_busy"
  | "voice_upstream_error"
  | "voice_upstream_timeout"
  | "voice_upstream_unreachable"
  | "aborted";

/** A JSON error response `{ error: { code, message } }`. */
export function voiceErrorResponse(
  status: number,
  code: VoiceApiErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function notConfigured(what: string): Response {
  return voiceErrorResponse(
    501,
    "voice_not_configured",
    `${what} is not configured on this server (ELEVENLABS_API_KEY is not set); use the browser's speech instead.`,
  );
}

function methodNotAllowed(allowed: string): Response {
  return voiceErrorResponse(405, "method_not_allowed", `Use ${allowed}.`, { allow: allowed });
}

/** Maps a provider failure to the client's response. */
export function voiceErrorToResponse(err: unknown): Response {
  const e = err instanceof VoiceError
    ? err
    : new VoiceError("upstream_error", "voice provider failed", { cause: err });
  switch (e.code) {
    case "upstream_rate_limited": {
      const retry = String(e.retryAfterSeconds ?? 1);
      return voiceErrorResponse(503, "voice_upstream_busy", "The voice service is busy; retry shortly.", {
        "retry-after": retry,
      });
    }
    case "unknown_voice":
      return voiceErrorResponse(400, "unknown_voice", "The voice service does not know that voice.");
    case "upstream_auth":
      return voiceErrorResponse(
        502,
        "voice_upstream_auth",
        "The voice service rejected this server's API key.",
      );
    case "upstream_timeout":
      return voiceErrorResponse(502, "voice_upstream_timeout", "The voice service did not answer in time.");
    case "upstream_unreachable":
      return voiceErrorResponse(502, "voice_upstream_unreachable", "The voice service could not be reached.");
    case "aborted":
      return voiceErrorResponse(502, "aborted", "The request was aborted.");
    default:
      return voiceErrorResponse(502, "voice_upstream_error", "The voice service failed.");
  }
}

function rateLimited(retryAfterSeconds: number, what: string): Response {
  return voiceErrorResponse(
    429,
    "rate_limited",
    `Too many ${what} requests for this session; retry in ${retryAfterSeconds} s.`,
    { "retry-after": String(retryAfterSeconds) },
  );
}

/** Reads at most `max` bytes of the body; null when it is longer (the rest is not read). */
async function readBodyCapped(req: Request, max: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await req.body?.cancel().catch(() => {});
    return null;
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const VOICE_ID = z.string().regex(
  /^[A-Za-z0-9_-]{1,64}$/,
  "voiceId must be 1-64 letters, digits, '-' or '_'",
);

function ttsSchema(limits: VoiceLimits) {
  return z.object({
    text: z.string().trim()
      .min(1, "text must not be empty")
      .max(limits.maxTtsChars, `text must be at most ${limits.maxTtsChars} characters`),
    voiceId: VOICE_ID.optional(),
  }).strict();
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}

/**
 * Streams upstream audio to the client after its first chunk has arrived, so a provider that fails
 * before sending audio still gets a clean 502. A failure after that errors the response stream
 * (the client sees a broken download, never a silently truncated clip).
 */
async function streamAfterFirstChunk(
  upstream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = upstream.getReader();
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch (err) {
    reader.cancel().catch(() => {});
    throw new VoiceError("upstream_error", "text-to-speech: audio stream failed before its first byte", {
      cause: err,
    });
  }
  if (first.done) throw new VoiceError("upstream_error", "text-to-speech: the provider sent no audio");
  let pending: Uint8Array | null = first.value;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = null;
        return;
      }
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err);
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  });
}

/**
 * `POST /api/tts` with JSON `{ text, voiceId? }` -> 200 `audio/mpeg` stream. The session is
 * charged one rate unit per character. A client that disconnects cancels the response stream,
 * which cancels the upstream download. (`req.signal` is not used: under `Deno.serve` it aborts
 * on completed responses too, the legacy behavior.)
 */
export async function handleTts(req: Request, ctx: VoiceContext): Promise<Response> {
  if (req.method !== "POST") return methodNotAllowed("POST");
  if (!ctx.voice) return notConfigured("Text-to-speech");
  const limits = ctx.limits ?? DEFAULT_VOICE_LIMITS;
  const type = normalizeMimeType(req.headers.get("content-type"));
  if (type !== "application/json") {
    return voiceErrorResponse(415, "unsupported_media_type", "Send the request as application/json.");
  }
  const bytes = await readBodyCapped(req, limits.maxTtsBodyBytes).catch(() => null);
  if (!bytes) {
    return voiceErrorResponse(
      413,
      "body_too_large",
      `The request body must be at most ${limits.maxTtsBodyBytes} bytes.`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return voiceErrorResponse(400, "invalid_json", "The request body is not valid JSON.");
  }
  const parsed = ttsSchema(limits).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.path[0] === "text" && issue.code === "too_big") {
      return voiceErrorResponse(
        413,
        "text_too_long",
        `text must be at most ${limits.maxTtsChars} characters.`,
      );
    }
    if (issue.path[0] === "text" && issue.code === "too_small") {
      return voiceErrorResponse(400, "empty_text", "text must not be empty.");
    }
    return voiceErrorResponse(400, "invalid_request", firstIssue(parsed.error));
  }
  const { text, voiceId } = parsed.data;
  const decision = await (ctx.limiter ?? defaultVoiceRateLimiter).take(`tts:${ctx.sessionId}`, text.length);
  if (!decision.allowed) return rateLimited(decision.retryAfterSeconds, "text-to-speech");
  try {
    const upstream = await ctx.voice.synthesize({
      text,
      voiceId: voiceId ?? ctx.voice.defaultVoiceId,
    });
    const body = await streamAfterFirstChunk(upstream);
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "audio/mpeg",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (err) {
    return voiceErrorToResponse(err);
  }
}

/** `GET /api/voices` -> 200 `{ voices: [{ id, name, category?, previewUrl? }], defaultVoiceId }`. */
export async function handleVoices(req: Request, ctx: VoiceContext): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed("GET");
  if (!ctx.voice) return notConfigured("The voice list");
  const decision = await (ctx.limiter ?? defaultVoiceRateLimiter).take(`voices:${ctx.sessionId}`, 1);
  if (!decision.allowed) return rateLimited(decision.retryAfterSeconds, "voice list");
  try {
    const voices = await ctx.voice.listVoices();
    return new Response(JSON.stringify({ voices, defaultVoiceId: ctx.voice.defaultVoiceId }), {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "private, max-age=300" },
    });
  } catch (err) {
    return voiceErrorToResponse(err);
  }
}

const DURATION_MS = z.coerce.number().finite().nonnegative();

/**
 * `POST /api/stt` -> 200 `{ text, languageCode? }`. The body is either `multipart/form-data` with
 * a `file` (or `audio`) part and an optional `durationMs` field (what the recorder measured), or
 * raw audio with an `audio/*` Content-Type and an optional `?durationMs=`. Limits: upload bytes,
 * accepted types, duration (declared, and measured from WAV/MP3/Ogg bytes), one rate unit per
 * request.
 */
export async function handleStt(req: Request, ctx: VoiceContext): Promise<Response> {
  if (req.method !== "POST") return methodNotAllowed("POST");
  if (!ctx.voice) return notConfigured("Speech-to-text");
  const limits = ctx.limits ?? DEFAULT_VOICE_LIMITS;
  const contentType = req.headers.get("content-type") ?? "";
  const type = normalizeMimeType(contentType);
  const multipart = type === "multipart/form-data";
  if (!multipart && !limits.acceptedAudioTypes.includes(type)) {
    return voiceErrorResponse(
      415,
      type.startsWith("audio/") ? "unsupported_audio_type" : "unsupported_media_type",
      `Send multipart/form-data with a "file" part, or raw audio of type ${
        limits.acceptedAudioTypes.join(", ")
      }.`,
    );
  }
  const tooLarge = () =>
    voiceErrorResponse(413, "body_too_large", `The upload must be at most ${limits.maxUploadBytes} bytes.`);
  const bytes = await readBodyCapped(req, limits.maxUploadBytes).catch(() => null);
  if (!bytes) return tooLarge();

  let audio: Blob;
  let mimeType: string;
  let filename: string | undefined;
  let declaredMs: unknown;
  if (multipart) {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
    } catch {
      return voiceErrorResponse(400, "invalid_request", "The multipart body could not be parsed.");
    }
    const part = form.get("file") ?? form.get("audio");
    if (!(part instanceof File)) {
      return voiceErrorResponse(400, "invalid_request", 'The form needs an audio file in a "file" part.');
    }
    audio = part;
    mimeType = normalizeMimeType(part.type);
    filename = part.name || undefined;
    declaredMs = form.get("durationMs") ?? undefined;
    if (!limits.acceptedAudioTypes.includes(mimeType)) {
      return voiceErrorResponse(
        415,
        "unsupported_audio_type",
        `Audio of type "${mimeType || "unknown"}" is not accepted; use one of ${
          limits.acceptedAudioTypes.join(", ")
        }.`,
      );
    }
  } else {
    audio = new Blob([bytes], { type });
    mimeType = type;
    declaredMs = new URL(req.url).searchParams.get("durationMs") ?? undefined;
  }
  if (audio.size === 0) return voiceErrorResponse(400, "empty_audio", "The audio upload is empty.");

  let declaredSeconds: number | undefined;
  if (declaredMs !== undefined) {
    const d = DURATION_MS.safeParse(declaredMs);
    if (!d.success) {
      return voiceErrorResponse(400, "invalid_request", "durationMs must be a non-negative number.");
    }
    declaredSeconds = d.data / 1000;
  }
  const measured = probeAudioDurationSeconds(new Uint8Array(await audio.arrayBuffer()), mimeType);
  const seconds = Math.max(declaredSeconds ?? 0, measured ?? 0);
  if (seconds > limits.maxDurationSeconds) {
    return voiceErrorResponse(
      413,
      "audio_too_long",
      `Recordings must be at most ${limits.maxDurationSeconds} s long (this one is ${seconds.toFixed(1)} s).`,
    );
  }

  const decision = await (ctx.limiter ?? defaultVoiceRateLimiter).take(`stt:${ctx.sessionId}`, 1);
  if (!decision.allowed) return rateLimited(decision.retryAfterSeconds, "speech-to-text");
  try {
    const transcript = await ctx.voice.transcribe({ audio, mimeType, filename });
    return new Response(JSON.stringify(transcript), {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });
  } catch (err) {
    return voiceErrorToResponse(err);
  }
}
