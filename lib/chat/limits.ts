/**
 * Size limits of what a user sends, shared by the API (which enforces them) and the chat UI (which
 * refuses and counts before sending). No imports, so the island bundles only these lines.
 */

/** Longest message a user may send, in characters (UTF-16 code units, as `String.length`). */
export const MAX_MESSAGE_CHARS = 32_000;

/** The composer shows a character counter from this length on. */
export const COUNTER_FROM_CHARS = Math.floor(MAX_MESSAGE_CHARS * 0.9);

/** Why a message of `length` characters is refused, as the composer says it. */
export function tooLongMessage(length: number): string {
  return `This message has ${length.toLocaleString("en-US")} characters; the limit is ${
    MAX_MESSAGE_CHARS.toLocaleString("en-US")
  }. Shorten it or split it into several messages.`;
}
