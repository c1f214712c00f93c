/**
 * Typed failures of a chat model provider. Every failure a provider raises is a {@link ChatError}
 * whose `message` is safe to show to the user (it never contains an API key or raw upstream body);
 * the upstream detail, with secrets redacted, stays in `detail` for logs.
 */

import { CodedError } from "../../ml/errors.ts";

/** What went wrong, as a stable machine-readable code (sent to the browser in SSE `error` events). */
export type ChatErrorCode =
  | "rate_limited"
  | "upstream_unavailable"
  | "bad_key"
  | "safety_blocked"
  | "timeout"
  | "aborted"
  | "stream_broken"
  | "context_too_long"
  | "bad_request";

/** All codes, in a stable order (for validation and exhaustive tests). */
export const CHAT_ERROR_CODES: readonly ChatErrorCode[] = [
  "rate_limited",
  "upstream_unavailable",
  "bad_key",
  "safety_blocked",
  "timeout",
  "aborted",
  "stream_broken",
  "context_too_long",
  "bad_request",
];

/** Default user-readable message per code. */
export const CHAT_ERROR_MESSAGES: Readonly<Record<ChatErrorCode, string>> = {
  rate_limited: "The model is receiving too many requests right now. Please wait a moment and try again.",
  upstream_unavailable: "The model service is unavailable right now. Please try again shortly.",
  bad_key: "The model API key was rejected. Check GEMINI_API_KEY in the server configuration.",
  safety_blocked: "The model declined to answer because the content was blocked by its safety filters.",
  timeout: "The model took too long to respond. Please try again.",
  aborted: "The reply was stopped.",
  stream_broken: "The connection to the model broke while it was replying. The text so far was kept.",
  context_too_long:
    "The conversation is too long for this model. Start a new chat, or pick a model with a longer context.",
  bad_request: "The model rejected the request.",
};

/** Codes for which retrying the same request later can succeed (before any text was produced). */
export const RETRYABLE_CODES: ReadonlySet<ChatErrorCode> = new Set(["rate_limited", "upstream_unavailable"]);

/** Extra facts carried by a {@link ChatError}. */
export interface ChatErrorInit {
  /** Upstream HTTP status, when there was one. */
  status?: number;
  /** How long the upstream asked us to wait before retrying (from Retry-After or RetryInfo). */
  retryAfterMs?: number;
  /** Redacted upstream detail for logs; never shown to users. */
  detail?: string;
  /** The original error (kept for debugging; may hold upstream text, so do not render it). */
  cause?: unknown;
}

/** A provider failure with a stable {@link ChatErrorCode} and a user-readable message. */
export class ChatError extends CodedError<ChatErrorCode> {
  /** Upstream HTTP status, when there was one. */
  readonly status?: number;
  /** Wait the upstream asked for before a retry, in milliseconds. */
  readonly retryAfterMs?: number;
  /** Redacted upstream detail for logs. */
  readonly detail?: string;

  constructor(code: ChatErrorCode, message: string = CHAT_ERROR_MESSAGES[code], init: ChatErrorInit = {}) {
    super(code, message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ChatError";
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.detail = init.detail;
  }

  /** Whether the request may be retried (only meaningful before the first token). */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }

  /** The JSON body for an SSE `error` event or an API error: `{ code, message }`. */
  toJSON(): { code: ChatErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** True when `value` is a {@link ChatError}. */
export function isChatError(value: unknown): value is ChatError {
  return value instanceof ChatError;
}

/**
 * Replaces every occurrence of each non-empty secret in `text` with `[redacted]`. Secrets shorter
 * than 4 characters are ignored (redacting them would mangle ordinary text).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}
