/**
 * What a reply looks like to any transport: an async iterable of {@link ReplyEvent}s. Text comes
 * as `token` events, then exactly one `done` or `error` ends it. Every event carries `offset`, the
 * length of the reply text so far in Unicode code points (PostgreSQL's characters), so a client
 * can resume from the last event it saw without duplicated or missing characters. SSE is one
 * adapter of these events (`lib/web/reply_sse.ts`).
 */
import type { MessageStatus, TokenUsage } from "../db/mod.ts";

/** One event of a reply. */
export type ReplyEvent =
  | { type: "token"; text: string; offset: number }
  | {
    type: "done";
    messageId: string;
    /** `complete`, or `stopped` (Stop, the time cap, or the server shutting down). */
    status: Extract<MessageStatus, "complete" | "stopped">;
    usage?: TokenUsage;
    offset: number;
  }
  | { type: "error"; code: string; message: string; messageId: string | null; offset: number };

/** The event that ends a reply. */
export type ReplyEnd = Extract<ReplyEvent, { type: "done" | "error" }>;

/** Length of `text` in Unicode code points. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The UTF-16 index of code point `offset` in `text` (its length when `offset` is past the end). */
export function utf16Index(text: string, offset: number): number {
  let n = 0;
  let i = 0;
  while (i < text.length && n < offset) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length &&
      text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
    i += pair ? 2 : 1;
    n++;
  }
  return i;
}

/** A reply that only reports `error` (e.g. no model is configured). */
export async function* errorReply(
  code: string,
  message: string,
  messageId: string | null = null,
): AsyncGenerator<ReplyEvent> {
  yield { type: "error", code, message, messageId, offset: 0 };
}
