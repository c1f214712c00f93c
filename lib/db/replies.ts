/**
 * The database side of a reply's lifecycle (docs/storage.md, "Resume protocol"): progress saves
 * that double as the heartbeat and read the Stop flag, the final write, reading a reply from a
 * character offset (for reattaching), and the Stop request. Every write also sends a
 * `pg_notify` so other instances that LISTEN learn of it at once; those that cannot LISTEN poll.
 *
 * Offsets count characters as PostgreSQL does (Unicode code points), never UTF-16 units.
 */
import { guardedBy } from "./errors.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import {
  type Message,
  messageColumns,
  messageFromRow,
  type MessageStatus,
  type TokenUsage,
} from "./messages.ts";
import type { Queryable } from "./sql.ts";
import { checkText } from "./text.ts";

/** Channel notified (payload: message id) when a reply's stored text or status changes. */
export const REPLY_PROGRESS_CHANNEL = "mc_reply_progress";
/** Channel notified (payload: message id) when Stop is requested for a reply. */
export const REPLY_STOP_CHANNEL = "mc_reply_stop";

/** A stored reply read from an offset. */
export interface StoredReply {
  role: Message["role"];
  status: MessageStatus;
  /** The text after the requested offset (empty when there is nothing new). */
  rest: string;
  /** Length of the whole stored text, in code points. */
  length: number;
  usage: TokenUsage | null;
  stopRequested: boolean;
}

/** The reply lifecycle operations, bound to a pool (see {@link createReplyStore}). */
export interface ReplyStore {
  /**
   * Saves the text so far (`content` null: only the heartbeat) of a reply that is still
   * `streaming`; returns whether Stop was requested, or null when the row is gone or finished.
   */
  saveProgress(messageId: string, content: string | null): Promise<{ stopRequested: boolean } | null>;
  /**
   * Final write: text, status and usage; clears the Stop flag (a continued reply starts without
   * it). Null when the row is gone.
   */
  finish(
    messageId: string,
    patch: { content: string; status: MessageStatus; usage?: TokenUsage },
  ): Promise<Message | null>;
  /** The reply from code point `from` on, if it is in the owner's conversation; else null. */
  read(ownerId: string, conversationId: string, messageId: string, from: number): Promise<StoredReply | null>;
  /**
   * Sets the Stop flag of a `streaming` reply in the owner's conversation and notifies the
   * instances; returns the reply's status (a finished one is left as it is), or null when not found.
   */
  requestStop(
    ownerId: string,
    conversationId: string,
    messageId: string,
  ): Promise<{ status: MessageStatus; role: Message["role"] } | null>;
}

/** Binds the reply operations to `sql`; `ready` runs first (pending migrations). */
export function createReplyStore(sql: Queryable, ready: () => Promise<unknown>): ReplyStore {
  const guard = guardedBy(ready);
  return {
    saveProgress: guard(async (messageId: string, content: string | null) => {
      if (!isUuid(messageId)) return null;
      if (content !== null) checkText(content, "content");
      const rows = await sql`
        with u as (
          update messages set
            content = coalesce(${content}::text, content),
            heartbeat_at = now(),
            updated_at = case when ${content}::text is null then updated_at else now() end
          where id = ${messageId} and status = 'streaming'
          returning id, stop_requested
        )
        select u.stop_requested, pg_notify(${REPLY_PROGRESS_CHANNEL}, u.id::text) from u`;
      return rows.length === 0 ? null : { stopRequested: rows[0].stop_requested as boolean };
    }),
    finish: guard(async (messageId, patch) => {
      checkText(patch.content, "content");
      if (!isUuid(messageId)) return null;
      const usage = patch.usage;
      const rows = await sql`
        with u as (
          update messages set
            content = ${patch.content},
            status = ${patch.status},
            prompt_tokens = case when ${usage !== undefined} then ${usage?.promptTokens ?? null}::integer
              else prompt_tokens end,
            completion_tokens = case when ${usage !== undefined}
              then ${usage?.completionTokens ?? null}::integer else completion_tokens end,
            heartbeat_at = now(),
            stop_requested = false,
            updated_at = now()
          where id = ${messageId}
          returning ${messageColumns(sql)}
        )
        select u.*, pg_notify(${REPLY_PROGRESS_CHANNEL}, u.id::text) from u`;
      return rows.length === 0 ? null : messageFromRow(rows[0]);
    }),
    read: guard(async (ownerId, conversationId, messageId, from) => {
      if (!isOwnerId(ownerId) || !isUuid(conversationId) || !isUuid(messageId)) return null;
      const start = Math.max(0, Math.floor(from));
      const rows = await sql`
        select m.role, m.status, m.stop_requested, m.prompt_tokens, m.completion_tokens,
          substring(m.content from ${start + 1}::integer) as rest, char_length(m.content) as length
        from messages m join conversations c on c.id = m.conversation_id
        where m.id = ${messageId} and c.id = ${conversationId} and c.owner_id = ${ownerId}`;
      if (rows.length === 0) return null;
      const row = rows[0];
      const prompt = row.prompt_tokens as number | null;
      const completion = row.completion_tokens as number | null;
      return {
        role: row.role as Message["role"],
        status: row.status as MessageStatus,
        rest: row.rest as string,
        length: Number(row.length),
        usage: prompt === null && completion === null
          ? null
          : { promptTokens: prompt, completionTokens: completion },
        stopRequested: row.stop_requested as boolean,
      };
    }),
    requestStop: guard(async (ownerId, conversationId, messageId) => {
      if (!isOwnerId(ownerId) || !isUuid(conversationId) || !isUuid(messageId)) return null;
      const rows = await sql`
        with target as (
          select m.id, m.status, m.role from messages m join conversations c on c.id = m.conversation_id
          where m.id = ${messageId} and c.id = ${conversationId} and c.owner_id = ${ownerId}
        ), flagged as (
          update messages set stop_requested = true
          where id in (select id from target where status = 'streaming')
          returning id
        )
        select t.status, t.role, (select count(*) from flagged) as flagged,
          case when exists (select 1 from flagged) then pg_notify(${REPLY_STOP_CHANNEL}, t.id::text) end
        from target t`;
      if (rows.length === 0) return null;
      return { status: rows[0].status as MessageStatus, role: rows[0].role as Message["role"] };
    }),
  };
}
