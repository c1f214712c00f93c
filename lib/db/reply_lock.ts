/**
 * Serializes the changes that start a reply (send, regenerate, edit, continue) per conversation:
 * the caller's transaction takes the conversation's row lock, then sees whether a reply is still
 * being written. Two simultaneous requests on one conversation therefore run one after the other,
 * and the second sees the first one's `streaming` reply instead of adding a duplicate branch.
 */
import { type Conversation, conversationFromRow } from "./conversations.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import { type Message, messageColumns, messageFromRow } from "./messages.ts";
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
  const [rows, live] = await Promise.all([
    lockRow(tx, ownerId, conversationId),
    liveReply(tx, conversationId),
  ]);
  return rows.length === 0 ? null : {
    conversation: conversationFromRow(rows[0]),
    replyInProgress: live.length === 0 ? null : live[0].id as string,
  };
}

/** A {@link ReplyLock} with the current path (root → leaf) as it is once the lock is held. */
export interface ReplyPathLock extends ReplyLock {
  /** Root → current leaf (an unknown or missing leaf reads as the newest message), oldest first. */
  path: PathRow[];
}

/** A message of a {@link ReplyPathLock.path}, with whether any file is attached to it. */
export interface PathRow extends Message {
  hasFiles: boolean;
}

/**
 * {@link lockForReply} plus the conversation's current path, in one round trip: the lock and one
 * read (path, files, reply in progress) are pipelined on the transaction's connection. PostgreSQL
 * runs them in order, the read with its own snapshot taken after the lock was granted, so it sees
 * everything committed before (a concurrent reply start that held the lock included), exactly as
 * separate round trips would.
 */
export async function lockReplyPath(
  tx: Queryable,
  ownerId: string,
  conversationId: string,
): Promise<ReplyPathLock | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId)) return null;
  const [rows, path] = await Promise.all([
    lockRow(tx, ownerId, conversationId),
    // The path walked up from the leaf by primary key; the depth bound stops a corrupted (cyclic)
    // tree, which the schema does not rule out across rows. A conversation with a reply in
    // progress has messages, so the path is never empty then and its rows carry the reply's id.
    tx`
      with recursive leaf as (
        select coalesce(
          (select m.id from conversations c join messages m on m.id = c.current_leaf_id and m.conversation_id = c.id
            where c.id = ${conversationId} and c.owner_id = ${ownerId}),
          (select m.id from conversations c join messages m on m.conversation_id = c.id
            where c.id = ${conversationId} and c.owner_id = ${ownerId} order by m.seq desc limit 1)
        ) as id
      ), path as (
        select m.*, 1 as depth from messages m
        where m.id = (select id from leaf) and m.conversation_id = ${conversationId}
        union all
        select m.*, p.depth + 1 from messages m join path p on m.id = p.parent_id
        where m.conversation_id = ${conversationId}
          and p.depth < (select count(*) from messages where conversation_id = ${conversationId})
      )
      select ${
      messageColumns(tx)
    }, exists (select 1 from attachments a where a.message_id = path.id) as has_files,
        (${liveReplyQuery(tx, conversationId)}) as live_reply_id
      from path order by depth desc`,
  ]);
  if (rows.length === 0) return null;
  return {
    conversation: conversationFromRow(rows[0]),
    replyInProgress: (path[0]?.live_reply_id as string | null | undefined) ?? null,
    path: path.map((row) => ({ ...messageFromRow(row), hasFiles: row.has_files as boolean })),
  };
}

function lockRow(tx: Queryable, ownerId: string, conversationId: string) {
  return tx`select * from conversations where id = ${conversationId} and owner_id = ${ownerId} for update`;
}

/** The newest `streaming` reply whose heartbeat is younger than the stale-reply threshold. */
function liveReply(tx: Queryable, conversationId: string) {
  return tx`${liveReplyQuery(tx, conversationId)}`;
}

function liveReplyQuery(tx: Queryable, conversationId: string) {
  return tx`
    select id from messages
    where conversation_id = ${conversationId} and status = 'streaming'
      and coalesce(heartbeat_at, updated_at) > now() - make_interval(secs => ${STALE_REPLY_SECONDS})
    order by seq desc limit 1`;
}
