/**
 * Limits on voice requests (voice costs money): text length, upload size and duration, accepted
 * audio types. The rate limiters the voice routes use are in `lib/security/` (`token_bucket.ts`,
 * `rate_limit.ts`).
 */

/** Numeric limits of the voice endpoints. */
export interface VoiceLimits {
  /** Most characters of text per `POST /api/tts`. */
  maxTtsChars: number;
  /** Most bytes of a `POST /api/tts` JSON body. */
  maxTtsBodyBytes: number;
  /** Most bytes of a `POST /api/stt` upload (whole request body). */
  maxUploadBytes: number;
  /** Longest recording accepted by `POST /api/stt`, seconds. */
  maxDurationSeconds: number;
  /** MIME types (without parameters) accepted by `POST /api/stt`. */
  acceptedAudioTypes: readonly string[];
}

/** Default limits. 10 MiB holds ~2 min of any recorder output (Opus webm is ~16 KB/s, WAV 16 kHz mono 32 KB/s). */
export const DEFAULT_VOICE_LIMITS: VoiceLimits = Object.freeze({
  maxTtsChars: 2500,
  maxTtsBodyBytes: 32 * 1024,
  maxUploadBytes: 10 * 1024 * 1024,
  maxDurationSeconds: 120,
  acceptedAudioTypes: Object.freeze([
    "audio/webm",
    "audio/ogg",
    "audio/opus",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/aac",
    "audio/mpeg",
    "audio/mp3",
    "audio/wav",
    "audio/wave",
    "audio/x-wav",
    "audio/flac",
    "audio/x-flac",
    "video/webm",
  ]),
});

/** `type/subtype` of a Content-Type value, lower-cased, without parameters (`; codecs=opus`). */
export function normalizeMimeType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}
