/**
 * Editing a reply's text by hand: the edited text becomes a new version of the reply (a sibling
 * with the same parent, status `complete`, no usage) and the current leaf; the model is not called
 * and the original reply is kept. Runs under the conversation's lock, like the replies.
 */
import type { Database, Message } from "../db/mod.ts";
import { HttpError } from "../http_error.ts";
import { conversationNotFound } from "./api.ts";
import { messageNotFound } from "./respond.ts";

/** Stores `content` as a new version of the reply `messageId` (any reply of the conversation). */
export async function reviseReply(
  state: { services: { db: Database }; sessionId: string },
  conversationId: string,
  messageId: string,
  content: string,
): Promise<Message> {
  const ownerId = state.sessionId;
  return await state.services.db.transaction(async (store) => {
    const lock = await store.lockForReply(ownerId, conversationId);
    if (!lock) throw conversationNotFound();
    const original = (await store.messagePath(ownerId, conversationId, messageId))?.at(-1);
    if (!original) throw messageNotFound();
    if (original.role !== "assistant") {
      throw new HttpError(
        400,
        "not_a_reply",
        "Only a reply can be edited as text; edit your message instead",
      );
    }
    if (lock.replyInProgress || original.status === "streaming") {
      throw new HttpError(
        409,
        "reply_in_progress",
        "A reply in this conversation is still being written; wait for it or stop it first.",
      );
    }
    const version = await store.appendMessage(ownerId, conversationId, {
      role: "assistant",
      content,
      parentId: original.parentId,
    });
    if (!version) throw conversationNotFound();
    return version;
  });
}
