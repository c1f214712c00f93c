/** Reads a `text/event-stream` response into its events (tests only). */

/** One parsed event. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads the whole stream and returns its events in order. */
export async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return parseSse(text);
}

/** Parses SSE text into events with JSON data. */
export function parseSse(text: string): SseEvent[] {
  return text.split("\n\n").filter((block) => block.trim() !== "").map((block) => {
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    return { event, data: JSON.parse(data) };
  });
}

/** Concatenated `token` texts. */
export function tokenText(events: SseEvent[]): string {
  return events.filter((e) => e.event === "token").map((e) => e.data.text).join("");
}
