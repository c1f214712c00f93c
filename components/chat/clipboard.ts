/** Copying text from the chat (message and code-block copy buttons). */

/** Copies `text`; falls back to a selection copy where the Clipboard API is refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "clipboard-fallback";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

/** Marks `button` as copied (`data-copied`, styled by CSS) for a moment. */
export function flashCopied(button: HTMLElement): void {
  button.dataset.copied = "true";
  setTimeout(() => delete button.dataset.copied, 1500);
}

/** Click handler for the Markdown code blocks' `button.copy-code[data-copy]` (event delegation). */
export async function copyCodeBlock(event: Event): Promise<void> {
  const button = (event.target as Element | null)?.closest?.("button.copy-code[data-copy]");
  if (!(button instanceof HTMLElement)) return;
  const code = button.closest(".code-block")?.querySelector("code");
  if (!code) return;
  if (await copyText(code.textContent ?? "")) flashCopied(button);
}
