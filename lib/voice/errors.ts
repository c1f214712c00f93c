/** Typed failures of the voice layer. Messages never contain the API key. */

import { CodedError } from "../../ml/errors.ts";

/** Codes of {@link VoiceError}. */
export type VoiceErrorCode =
  /** The provider rejected our key (401/403). */
  | "upstream_auth"
  /** The provider is rate limiting us (429); `retryAfterSeconds` says when to retry. */
  | "upstream_rate_limited"
  /** The provider does not know the requested voice (404). */
  | "unknown_voice"
  /** The provider failed (5xx, malformed answer, unexpected status). */
  | "upstream_error"
  /** The provider did not answer in time. */
  | "upstream_timeout"
  /** The provider could not be reached. */
  | "upstream_unreachable"
  /** The caller aborted. */
  | "aborted";

/** A voice-provider failure with a stable `code`. */
export class VoiceError extends CodedError<VoiceErrorCode> {
  /** HTTP status the provider answered with, when it answered. */
  readonly upstreamStatus?: number;
  /** Seconds to wait before retrying, for `upstream_rate_limited`. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: VoiceErrorCode,
    message: string,
    extra: { upstreamStatus?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: extra.cause });
    this.name = "VoiceError";
    this.upstreamStatus = extra.upstreamStatus;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}
