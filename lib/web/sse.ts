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
