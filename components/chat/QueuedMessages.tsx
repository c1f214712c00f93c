/**
 * Messages typed while a reply streams: shown above the composer in the order they will be sent
 * (each once the reply before it has ended), each with a Cancel button.
 */
import type { VNode } from "preact";

/** A message waiting for the current reply to end. */
export interface QueuedMessage {
  /** Local id (never sent to the server). */
  id: string;
  content: string;
}

/** Props of {@link QueuedMessages}. */
export interface QueuedMessagesProps {
  queue: QueuedMessage[];
  onCancel(id: string): void;
}

/** The queue, or nothing when it is empty. */
export function QueuedMessages({ queue, onCancel }: QueuedMessagesProps): VNode | null {
  if (queue.length === 0) return null;
  return (
    <section class="queued" aria-label="Queued messages">
      <p class="queued-hint">Sent when the reply ends:</p>
      <ol class="queued-list">
        {queue.map((m) => (
          <li key={m.id} class="queued-item">
            <span class="queued-text">{m.content}</span>
            <button
              type="button"
              class="button button-small queued-cancel"
              aria-label={`Cancel queued message: ${m.content.slice(0, 40)}`}
              onClick={() => onCancel(m.id)}
            >
              Cancel
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
