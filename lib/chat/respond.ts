/**
 * The three ways a reply starts — a new user message, regenerate, edit — share one path: load
 * the session's conversation (404 otherwise), change its messages, then stream a reply to the
 * resulting history. Without a model the change is still stored and the stream reports why.
 */
import type { ConversationWithMessages, Message, Store } from "../db/mod.ts";
import { HttpError } from "../http_error.ts";
import { conversationNotFound } from "./api.ts";
import { type ChatProvider, NO_MODEL_MESSAGE } from "./provider.ts";
import { toTurns } from "./reply.ts";
import { errorReply, type ReplyEvent } from "./reply_events.ts";
import type { ReplyService } from "./reply_service.ts";

/** What starting a reply needs from the request (the app's `AppState` fits). */
export interface ReplyState {
  services: { db: Store; chat: ChatProvider | null; replies: ReplyService };
  /** The owner of the conversation. */
  sessionId: string;
}

/** A started reply: its message id (null when none was created) and its events. */
export interface StartedReply {
  messageId: string | null;
  events: AsyncIterable<ReplyEvent>;
}

/** Changes the conversation and returns the messages the reply answers (oldest first). */
export type PrepareHistory = (conversation: ConversationWithMessages) => Promise<Message[]>;

/**
 * Loads the conversation, runs `prepare`, and starts the reply; `onSettled` runs once the reply
 * has ended (at once when none was started). The events stop when `signal` aborts (the client
 * left); the reply itself goes on.
 */
export async function respond(
  state: ReplyState,
  conversationId: string,
  prepare: PrepareHistory,
  options: { signal: AbortSignal; onSettled?: () => void },
): Promise<StartedReply> {
  const { db, chat, replies } = state.services;
  const conversation = await db.getConversation(state.sessionId, conversationId);
  if (!conversation) throw conversationNotFound();
  const history = await prepare(conversation);
  if (!chat) {
    options.onSettled?.();
    return { messageId: null, events: errorReply("model_unavailable", NO_MODEL_MESSAGE) };
  }
  const run = await replies.start({
    provider: chat,
    ownerId: state.sessionId,
    conversationId,
    systemPrompt: conversation.systemPrompt,
    model: conversation.model ?? undefined,
    history: toTurns(history),
    onSettled: options.onSettled,
  });
  if (!run) throw conversationNotFound();
  return { messageId: run.messageId, events: run.events(0, options.signal) };
}

/** Appends a user message; the reply answers everything so far. */
export function appendUserMessage(state: ReplyState, content: string): PrepareHistory {
  return async (conversation) => {
    const message = await state.services.db.appendMessage(state.sessionId, conversation.id, {
      role: "user",
      content,
    });
    if (!message) throw conversationNotFound();
    return [...conversation.messages, message];
  };
}

/** Drops everything after the last user message; the reply answers it again. */
export function regenerateLast(state: ReplyState): PrepareHistory {
  return async (conversation) => {
    const at = conversation.messages.findLastIndex((m) => m.role === "user");
    if (at === -1) {
      throw new HttpError(409, "nothing_to_regenerate", "There is no user message to answer yet");
    }
    await state.services.db.truncateAfter(state.sessionId, conversation.id, conversation.messages[at].id);
    return conversation.messages.slice(0, at + 1);
  };
}

/** Replaces a user message (dropping it and all after it) with new content, then replies to it. */
export function editUserMessage(state: ReplyState, messageId: string, content: string): PrepareHistory {
  return async (conversation) => {
    const at = conversation.messages.findIndex((m) => m.id === messageId);
    if (at === -1) throw new HttpError(404, "not_found", "Message not found");
    if (conversation.messages[at].role !== "user") {
      throw new HttpError(400, "not_a_user_message", "Only your own messages can be edited");
    }
    const { db } = state.services;
    await db.truncateAfter(state.sessionId, conversation.id, messageId, { inclusive: true });
    const message = await db.appendMessage(state.sessionId, conversation.id, { role: "user", content });
    if (!message) throw conversationNotFound();
    return [...conversation.messages.slice(0, at), message];
  };
}
