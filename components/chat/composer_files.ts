/** Small helpers of the chat island for files and usage (pure, browser-safe). */
import type { ChatMessage } from "./types.ts";

/** The files of a drop event (prevents the browser from opening them); [] when none. */
export function dropFiles(e: DragEvent): File[] {
  const files = Array.from(e.dataTransfer?.files ?? []);
  if (files.length) e.preventDefault();
  return files;
}

/** Tokens of every reply of the conversation (prompt + reply), as the models reported them. */
export function conversationTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const m of messages) {
    if (m.usage) total += (m.usage.promptTokens ?? 0) + (m.usage.completionTokens ?? 0);
  }
  return total;
}
