/**
 * Serializes the changes that start a reply (send, regenerate, edit, continue) per conversation:
 * the caller's transaction takes the conversation's row lock, then sees whether a reply is still
 * being written. Two simultaneous requests on one conversation therefore run one after the other,
 * and the second sees the first one's `streaming` reply instead of adding a duplicate branch.
 */
import { type Conversation, conversationFromRow } from "./conversations.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import type { Queryable } from "./sql.ts";
import { STALE_REPLY_SECONDS } from "./stale_replies.ts";

/** What {@link lockForReply} found. */
export interface ReplyLock {
  conversation: Conversation;
  /** Id of a reply of this conversation that is still being written, or null. */
  replyInProgress: string | null;
}

/**
 * Locks the owner's conversation row until the surrounding transaction ends (call it inside one)
 * and reports a reply still streaming (a `streaming` row whose heartbeat is younger than the
 * stale-reply threshold).
 * Null when the conversation is not the owner's.
 */
export async function lockForReply(
  tx: Queryable,
  ownerId: string,
  conversationId: string,
): Promise<ReplyLock | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId)) return null;
  const rows = await tx`
    select * from conversations where id = ${conversationId} and owner_id = ${ownerId} for update`;
  if (rows.length === 0) return null;
  const live = await tx`
    select id from messages
    where conversation_id = ${conversationId} and status = 'streaming'
      and coalesce(heartbeat_at, updated_at) > now() - make_interval(secs => ${STALE_REPLY_SECONDS})
    order by seq desc limit 1`;
  return {
    conversation: conversationFromRow(rows[0]),
    replyInProgress: live.length === 0 ? null : live[0].id as string,
  };
}
