/** Automatic conversation titles from the first user message. */

/** Placeholder title of a conversation that has no user message and no custom title. */
export const DEFAULT_TITLE = "New conversation";

/** Longest title accepted from users, in characters. */
export const MAX_TITLE_LENGTH = 200;

/**
 * Shortens `text` to one line of at most `maxChars` code points, cutting on a word boundary when
 * one exists in the second half and ending with "…" when shortened. Empty text gives the default.
 */
export function autoTitle(text: string, maxChars = 60): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = [...line];
  if (chars.length === 0) return DEFAULT_TITLE;
  if (chars.length <= maxChars) return line;
  const head = chars.slice(0, maxChars - 1);
  const lastSpace = head.lastIndexOf(" ");
  const cut = lastSpace >= maxChars / 2 ? head.slice(0, lastSpace) : head;
  return cut.join("").replace(/[\s.,;:!?-]+$/, "") + "…";
}
