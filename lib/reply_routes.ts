/**
 * The HTTP side of replies, shared by the route files: start one under the limits and answer with
 * its SSE stream, follow one from an offset, stop one. The reply core (`lib/chat`) knows nothing of
 * HTTP; this module adapts it.
 */
import { TooManyFollowersError } from "./chat/reply_service.ts";
import { type PlanReply, respond } from "./chat/respond.ts";
import { HttpError } from "./http_error.ts";
import { limitReply } from "./security/reply_limits.ts";
import type { AppState } from "./services.ts";
import { replySseResponse } from "./web/reply_sse.ts";

/** Starts a reply after `plan` changed the conversation; the response streams it (SSE). */
export function startReplyResponse(
  state: AppState,
  conversationId: string,
  plan: PlanReply,
): Promise<Response> {
  return limitReply(state, async (release, admit) => {
    // Ends the events (not the reply) when the response body is cancelled: the client left.
    const client = new AbortController();
    const started = await respond(state, conversationId, plan, {
      signal: client.signal,
      onSettled: release,
      admit,
    });
    return replySseResponse(started.events, {
      messageId: started.messageId,
      onCancel: () => client.abort(),
    });
  });
}

/** Largest offset accepted from a client (far beyond any reply a model writes). */
const MAX_OFFSET = 100_000_000;

/** The offset to resume from: `Last-Event-ID`, else `?offset=`, else 0; 400 when malformed. */
export function resumeOffset(req: Request): number {
  const raw = req.headers.get("last-event-id") ?? new URL(req.url).searchParams.get("offset") ?? "0";
  if (!/^\d{1,9}$/.test(raw.trim()) || Number(raw) > MAX_OFFSET) {
    throw new HttpError(400, "bad_offset", "offset must be a character count (a non-negative integer)");
  }
  return Number(raw);
}

/**
 * Follows the owner's reply from the request's offset (SSE); 404 when it is not theirs, 429 when
 * the session already follows too many replies on this instance.
 */
export async function followReplyResponse(
  req: Request,
  state: AppState,
  conversationId: string,
  messageId: string,
): Promise<Response> {
  const from = resumeOffset(req);
  const client = new AbortController();
  let events;
  try {
    events = await state.services.replies.follow(
      state.sessionId,
      conversationId,
      messageId,
      from,
      client.signal,
    );
  } catch (error) {
    if (error instanceof TooManyFollowersError) {
      throw new HttpError(429, error.code, error.message, { "retry-after": "5" });
    }
    throw error;
  }
  if (!events) throw new HttpError(404, "not_found", "Reply not found");
  return replySseResponse(events, { messageId, onCancel: () => client.abort() });
}

/** Stops the owner's reply (any instance); 404 when it is not theirs. */
export async function stopReplyResponse(
  state: AppState,
  conversationId: string,
  messageId: string,
): Promise<Response> {
  const stopped = await state.services.replies.stop(state.sessionId, conversationId, messageId);
  if (!stopped) throw new HttpError(404, "not_found", "Reply not found");
  return Response.json({ messageId, status: stopped.status, stopRequested: stopped.status === "streaming" });
}
