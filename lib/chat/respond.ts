/**
 * The three ways a reply starts — a new user message, regenerate, edit — share one path: load
 * the session's conversation (404 otherwise), change its messages and store the assistant's
 * `streaming` placeholder in one transaction (a database failure leaves neither: never a user
 * message without a reply record), bound the history by `HISTORY_TOKEN_BUDGET`, then stream a
 * reply and charge its tokens to the owner's daily budget. Without a model the change is still
 * stored and the stream reports why.
 */
import type { ConversationWithMessages, Message, Store } from "../db/mod.ts";
import { replyTokens } from "../security/token_budget.ts";
import type { AppState } from "../services.ts";
import { NO_MODEL_MESSAGE } from "../services.ts";
import { HttpError } from "../web/errors.ts";
import { SSE_HEADERS, sseEvent } from "../web/sse.ts";
import { conversationNotFound } from "./api.ts";
import { trimHistory } from "./history.ts";
import { streamReply, toTurns } from "./reply.ts";

/**
 * Changes the conversation through `store` (a transaction when a reply follows) and returns the
 * messages the reply answers (oldest first).
 */
export type PrepareHistory = (conversation: ConversationWithMessages, store: Store) => Promise<Message[]>;

/** Loads the conversation, runs `prepare`, and streams the reply. */
export async function respond(
  state: AppState,
  conversationId: string,
  prepare: PrepareHistory,
): Promise<Response> {
  const { db, chat, shutdown, config, limits } = state.services;
  const ownerId = state.sessionId;
  const conversation = await db.getConversation(ownerId, conversationId);
  if (!conversation) throw conversationNotFound();
  if (!chat) {
    await prepare(conversation, db);
    return new Response(sseEvent("error", { code: "model_unavailable", message: NO_MODEL_MESSAGE }), {
      headers: SSE_HEADERS,
    });
  }
  const { history, assistant } = await db.transaction(async (tx) => {
    const history = await prepare(conversation, tx);
    const assistant = await tx.appendMessage(ownerId, conversationId, {
      role: "assistant",
      content: "",
      status: "streaming",
    });
    if (!assistant) throw conversationNotFound();
    return { history, assistant };
  });
  const fitted = trimHistory(conversation.systemPrompt, toTurns(history), {
    budgetTokens: config.historyTokenBudget,
  });
  return await streamReply({
    store: db,
    provider: chat,
    ownerId,
    conversationId,
    systemPrompt: conversation.systemPrompt,
    model: conversation.model ?? undefined,
    history: fitted.turns,
    shutdownSignal: shutdown,
    assistant,
    onSettled: async (message) => {
      // Not stored (database away) means not charged: the charge would fail the same way.
      if (!message) return;
      try {
        await limits.budget.charge(ownerId, replyTokens(message, fitted.tokens));
      } catch (error) {
        console.error(JSON.stringify({ level: "error", msg: "token charge failed", error: String(error) }));
      }
    },
  });
}

/** Appends a user message; the reply answers everything so far. */
export function appendUserMessage(state: AppState, content: string): PrepareHistory {
  return async (conversation, store) => {
    const message = await store.appendMessage(state.sessionId, conversation.id, { role: "user", content });
    if (!message) throw conversationNotFound();
    return [...conversation.messages, message];
  };
}

/** Drops everything after the last user message; the reply answers it again. */
export function regenerateLast(state: AppState): PrepareHistory {
  return async (conversation, store) => {
    const at = conversation.messages.findLastIndex((m) => m.role === "user");
    if (at === -1) {
      throw new HttpError(409, "nothing_to_regenerate", "There is no user message to answer yet");
    }
    await store.truncateAfter(state.sessionId, conversation.id, conversation.messages[at].id);
    return conversation.messages.slice(0, at + 1);
  };
}

/** Replaces a user message (dropping it and all after it) with new content, then replies to it. */
export function editUserMessage(state: AppState, messageId: string, content: string): PrepareHistory {
  return async (conversation, store) => {
    const at = conversation.messages.findIndex((m) => m.id === messageId);
    if (at === -1) throw new HttpError(404, "not_found", "Message not found");
    if (conversation.messages[at].role !== "user") {
      throw new HttpError(400, "not_a_user_message", "Only your own messages can be edited");
    }
    await store.truncateAfter(state.sessionId, conversation.id, messageId, { inclusive: true });
    const message = await store.appendMessage(state.sessionId, conversation.id, { role: "user", content });
    if (!message) throw conversationNotFound();
    return [...conversation.messages.slice(0, at), message];
  };
}
