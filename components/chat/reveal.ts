/** Scrolling to the message a link names (`#m-<message id>`, from a search result) and marking it. */

/** Class of the message a link revealed; the CSS highlights it. */
export const REVEALED_CLASS = "message-revealed";

/**
 * Scrolls the message named by `hash` into the middle of the view, marks it (and only it) with
 * {@link REVEALED_CLASS} and focuses it for screen readers. Returns whether such a message exists.
 */
export function revealLinkedMessage(hash: string): boolean {
  if (linkedMessageId(hash) === null) return false;
  const el = document.getElementById(hash.slice(1));
  if (!el) return false;
  for (const old of document.querySelectorAll(`.${REVEALED_CLASS}`)) old.classList.remove(REVEALED_CLASS);
  el.classList.add(REVEALED_CLASS);
  el.tabIndex = -1;
  el.scrollIntoView({ block: "center" });
  el.focus({ preventScroll: true });
  return true;
}

/** The message id a `#m-<id>` link names, or null. */
export function linkedMessageId(hash: string): string | null {
  return /^#m-[0-9a-f-]{36}$/i.test(hash) ? hash.slice(3) : null;
}
