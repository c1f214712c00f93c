/**
 * The three ways a reply starts — a new user message, regenerate, edit — share one path: load
 * the session's conversation (404 otherwise), change its messages, then stream a reply to the
 * resulting history. Without a model the change is still stored and the stream reports why.
 */
import type { ConversationWithMessages, Message } from "../db/mod.ts";
import type { AppState } from "../services.ts";
import { NO_MODEL_MESSAGE } from "../services.ts";
import { HttpError } from "../web/errors.ts";
import { SSE_HEADERS, sseEvent } from "../web/sse.ts";
import { attachToMessage, checkAttachments } from "../attachments/send.ts";
import { turnsWithAttachments } from "../attachments/history.ts";
import { allowedModel } from "./allowlist.ts";
import { conversationNotFound } from "./api.ts";
import { streamReply } from "./reply.ts";

/** Changes the conversation and returns the messages the reply answers (oldest first). */
export type PrepareHistory = (conversation: ConversationWithMessages) => Promise<Message[]>;

/** Loads the conversation, runs `prepare`, and streams the reply. */
export async function respond(
  state: AppState,
  conversationId: string,
  prepare: PrepareHistory,
): Promise<Response> {
  const { db, chat, shutdown } = state.services;
  const conversation = await db.getConversation(state.sessionId, conversationId);
  if (!conversation) throw conversationNotFound();
  // Checked before anything is stored: a model the server no longer offers is a 400, not a lost message.
  const model = chat ? await allowedModel(state, conversation.model) : null;
  const history = await prepare(conversation);
  if (!chat) {
    return new Response(sseEvent("error", { code: "model_unavailable", message: NO_MODEL_MESSAGE }), {
      headers: SSE_HEADERS,
    });
  }
  return await streamReply({
    store: db,
    provider: chat,
    ownerId: state.sessionId,
    conversationId,
    systemPrompt: conversation.systemPrompt,
    model: model?.id ?? conversation.model ?? undefined,
    history: await turnsWithAttachments(state, history, model),
    shutdownSignal: shutdown,
  });
}

/** Appends a user message (with its checked attachments); the reply answers everything so far. */
export function appendUserMessage(
  state: AppState,
  content: string,
  attachmentIds: string[] = [],
): PrepareHistory {
  return async (conversation) => {
    const files = await checkAttachments(state, conversation.model, attachmentIds);
    const message = await state.services.db.appendMessage(state.sessionId, conversation.id, {
      role: "user",
      content,
    });
    if (!message) throw conversationNotFound();
    await attachToMessage(state, message.id, files);
    return [...conversation.messages, message];
  };
}

/** Drops everything after the last user message; the reply answers it again. */
export function regenerateLast(state: AppState): PrepareHistory {
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
export function editUserMessage(state: AppState, messageId: string, content: string): PrepareHistory {
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
