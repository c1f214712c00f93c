/**
 * Reads a `text/event-stream` response body event by event (browser side of the reply stream).
 * Handles events split across chunks, CRLF line ends, multi-line `data:` and comments.
 */

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
  /** The last `id:` seen so far in the stream (as `Last-Event-ID` would carry it), or "". */
  id: string;
}

/** Calls `onEvent` for each event of `body` until it ends; rejects when reading fails (e.g. abort). */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: SseEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  let id = "";
  const dispatchLine = (line: string) => {
    if (line === "") {
      if (data.length > 0) onEvent({ event, data: data.join("\n"), id });
      event = "message";
      data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + (buffer.startsWith("\r\n", at) ? 2 : 1));
        dispatchLine(line);
      }
    }
    if (buffer !== "") dispatchLine(buffer);
    dispatchLine("");
  } finally {
    reader.releaseLock();
  }
}
