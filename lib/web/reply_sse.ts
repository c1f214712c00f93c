/**
 * The SSE adapter of a reply (`lib/chat/reply_events.ts`): `token` events carry `{ text }`,
 * `done` carries `{ messageId, status, usage }`, `error` carries `{ code, message, messageId }`.
 * Every token and `done` event has `id: <offset>`, the reply's length in code points so far, so a
 * client resumes with `Last-Event-ID` (or `?offset=`) exactly where it stopped reading.
 */
import type { ReplyEvent } from "../chat/reply_events.ts";
import { SSE_HEADERS, sseBody, type SseMessage } from "./sse.ts";

/** One reply event as an SSE message. */
export function replySseMessage(event: ReplyEvent): SseMessage {
  switch (event.type) {
    case "token":
      return { id: String(event.offset), event: "token", data: { text: event.text } };
    case "done":
      return {
        id: String(event.offset),
        event: "done",
        data: { messageId: event.messageId, status: event.status, usage: event.usage },
      };
    case "error":
      return {
        event: "error",
        data: { code: event.code, message: event.message, messageId: event.messageId },
      };
  }
}

async function* toSse(events: AsyncIterable<ReplyEvent>): AsyncGenerator<SseMessage> {
  for await (const event of events) yield replySseMessage(event);
}

/**
 * The `text/event-stream` response of a reply; `x-message-id` names the reply when known.
 * `onCancel` runs when the client goes away (the reply itself goes on).
 */
export function replySseResponse(
  events: AsyncIterable<ReplyEvent>,
  options: { messageId: string | null; onCancel?: () => void },
): Response {
  const headers: Record<string, string> = { ...SSE_HEADERS };
  if (options.messageId) headers["x-message-id"] = options.messageId;
  return new Response(sseBody(toSse(events), options.onCancel), { headers });
}
