/** Server-sent events: encoding one event, and the response headers of an event stream. */

const encoder = new TextEncoder();

/** Encodes one SSE event with a JSON payload. */
export function sseEvent(event: string, data: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) as Uint8Array<ArrayBuffer>;
}

/** Headers of an SSE response (no caching, no proxy buffering). */
export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
};

/** One event to send: its name, JSON data and optional `id:` (what `Last-Event-ID` echoes back). */
export interface SseMessage {
  event: string;
  data: unknown;
  id?: string;
}

/** Encodes one SSE event with an `id:` line when given. */
export function sseMessage(message: SseMessage): Uint8Array<ArrayBuffer> {
  const id = message.id === undefined ? "" : `id: ${message.id.replace(/[\r\n]/g, "")}\n`;
  return encoder.encode(
    `${id}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`,
  ) as Uint8Array<ArrayBuffer>;
}

/**
 * An event-stream body fed by `source`. When the client goes away the iterator is closed and
 * `onCancel` runs (to end a wait inside the source); nothing else depends on the client.
 */
export function sseBody(
  source: AsyncIterable<SseMessage>,
  onCancel: () => void = () => {},
): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(sseMessage(next.value));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      onCancel();
      await iterator.return?.();
    },
  });
}
