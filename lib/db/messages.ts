/**
 * Messages of a conversation. Messages form a tree (`parentId`, null for a root) and the
 * conversation keeps its current leaf; `seq` is the creation order, handed out by incrementing the
 * conversation's `last_seq` under its row lock, so concurrent appends get distinct, increasing
 * positions and order never depends on timestamps. Nothing here deletes a message: regenerate and
 * edit add siblings (see `tree.ts` for paths, siblings and branch switching).
 */
import type postgres from "postgres";
import { InvalidInputError } from "./errors.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import { inTransaction, iso, type Queryable, type Transactional } from "./sql.ts";
import { checkText } from "./text.ts";
import { autoTitle } from "./title.ts";

/** Who wrote a message. */
export type MessageRole = "user" | "assistant";
/** Lifecycle of a message: `streaming` while the model writes it, then one of the others. */
export type MessageStatus = "complete" | "streaming" | "stopped" | "error";

/** Token usage reported by the model for one reply. */
export interface TokenUsage {
  promptTokens: number | null;
  completionTokens: number | null;
}

/** A message as the API sees it. */
export interface Message {
  id: string;
  conversationId: string;
  /** Creation order in the conversation: increasing, unique per conversation. */
  seq: number;
  /** The message this one answers or follows; null for a root. */
  parentId: string | null;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  /** Null until the model reports usage. */
  usage: TokenUsage | null;
  createdAt: string;
  updatedAt: string;
}

/** Fields of a new message. */
export interface NewMessage {
  role: MessageRole;
  content: string;
  /** Default `complete`. */
  status?: MessageStatus;
  usage?: TokenUsage;
  /**
   * Where the message goes: omitted = under the conversation's current leaf (a linear append),
   * null = a new root, an id = under that message (a sibling of its other children).
   */
  parentId?: string | null;
}

/** Changes to a message; omitted fields are unchanged. */
export interface MessagePatch {
  /** Replaces the content. */
  content?: string;
  /** Appended after `content` (or the stored content): streaming progress without resending all. */
  appendContent?: string;
  status?: MessageStatus;
  usage?: TokenUsage;
}

const ROLES: ReadonlySet<string> = new Set(["user", "assistant"]);
const STATUSES: ReadonlySet<string> = new Set(["complete", "streaming", "stopped", "error"]);

/** Validates a new message's role, status, text and usage; its status (default `complete`). */
function checkedStatus(message: NewMessage): MessageStatus {
  if (!ROLES.has(message.role)) throw new InvalidInputError(`role must be "user" or "assistant"`);
  const status = message.status ?? "complete";
  if (!STATUSES.has(status)) throw new InvalidInputError(`unknown message status "${status}"`);
  checkText(message.content, "content");
  checkUsage(message.usage);
  return status;
}

/**
 * Adds a message under `parentId` (default: the current leaf) and makes it the conversation's
 * current leaf; bumps `updatedAt`. The first user message names a conversation whose title is still
 * the default. Null when the conversation is not the owner's or the parent is not one of its
 * messages.
 */
export function appendMessage(
  sql: Transactional,
  ownerId: string,
  conversationId: string,
  message: NewMessage,
): Promise<Message | null> {
  const status = checkedStatus(message);
  if (!isOwnerId(ownerId) || !isUuid(conversationId)) return Promise.resolve(null);
  if (message.parentId != null && !isUuid(message.parentId)) return Promise.resolve(null);
  return inTransaction(sql, async (tx) => {
    // The row lock orders concurrent appends: FOR UPDATE returns the latest committed leaf, and the
    // next statement (a new snapshot, taken after the lock) sees the message it points at.
    const owned = await tx`
      select current_leaf_id from conversations
      where id = ${conversationId} and owner_id = ${ownerId} for update`;
    if (owned.length === 0) return null;
    const explicit = message.parentId !== undefined;
    const wanted = (explicit ? message.parentId : owned[0].current_leaf_id as string | null) ?? null;
    const rows = await insertMessage(
      tx,
      conversationId,
      crypto.randomUUID(),
      message,
      status,
      wanted,
      explicit,
    );
    return rows.length === 0 ? null : messageFromRow(rows[0]);
  });
}

/** A message for {@link appendUnderLock}: its id (chosen by the caller) and an explicit parent. */
export interface LockedNewMessage extends NewMessage {
  id: string;
  parentId: string | null;
}

/**
 * {@link appendMessage} for a caller whose transaction already holds the conversation's row lock
 * and has checked the owner (`lockForReply`): one statement, no savepoint and no second lock.
 * The caller picks the id, so a message and its reply can be sent in one pipelined round trip.
 * Null when the parent is not a message of the conversation.
 */
export async function appendUnderLock(
  tx: Queryable,
  conversationId: string,
  message: LockedNewMessage,
): Promise<Message | null> {
  const status = checkedStatus(message);
  if (!isUuid(conversationId) || !isUuid(message.id)) return null;
  if (message.parentId !== null && !isUuid(message.parentId)) return null;
  const rows = await insertMessage(tx, conversationId, message.id, message, status, message.parentId, true);
  return rows.length === 0 ? null : messageFromRow(rows[0]);
}

/**
 * A user message and the reply row under it (status `streaming`) in one statement, under the lock
 * the caller's transaction holds (`lockForReply`): one update of the conversation (two positions,
 * the reply becomes the leaf, the first user message names it) and one insert of both rows. The
 * parent must be a message of the conversation (or null for a root). Null when it is not.
 */
export async function appendExchange(
  tx: Queryable,
  conversationId: string,
  user: { id: string; content: string; parentId: string | null },
  reply: { id: string },
): Promise<{ user: Message; reply: Message } | null> {
  checkText(user.content, "content");
  if (!isUuid(conversationId) || !isUuid(user.id) || !isUuid(reply.id) || user.id === reply.id) return null;
  if (user.parentId !== null && !isUuid(user.parentId)) return null;
  const title = autoTitle(user.content);
  const rows = await tx`
    with parent as (
      select id from messages where id = ${user.parentId}::uuid and conversation_id = ${conversationId}
    ),
    c as (
      update conversations set
        last_seq = last_seq + 2,
        current_leaf_id = ${reply.id},
        updated_at = now(),
        activity = nextval('conversation_activity_seq'),
        title = case when title_source = 'default' then ${title}::text else title end,
        title_source = case when title_source = 'default' then 'auto' else title_source end
      where id = ${conversationId} and (${user.parentId}::uuid is null or exists (select 1 from parent))
      returning last_seq
    )
    insert into messages (id, conversation_id, parent_id, seq, role, content, status)
    select ${user.id}::uuid, ${conversationId}::uuid, (select id from parent), c.last_seq - 1, 'user',
      ${user.content}::text, 'complete'
    from c
    union all
    select ${reply.id}::uuid, ${conversationId}::uuid, ${user.id}::uuid, c.last_seq, 'assistant', '', 'streaming'
    from c
    returning ${messageColumns(tx)}`;
  if (rows.length !== 2) return null;
  const [first, second] = rows.map(messageFromRow);
  return first.role === "user" ? { user: first, reply: second } : { user: second, reply: first };
}

/**
 * One statement: resolve the parent (an explicit one must exist; a stored leaf that is not a
 * message of the conversation falls back to the newest), take a position, move the leaf, insert.
 * Call it under the conversation's row lock.
 */
function insertMessage(
  tx: Queryable,
  conversationId: string,
  id: string,
  message: NewMessage,
  status: MessageStatus,
  wanted: string | null,
  explicit: boolean,
) {
  const isUser = message.role === "user";
  const title = isUser ? autoTitle(message.content) : null;
  return tx`
    with parent as (
      select coalesce(
        (select id from messages where id = ${wanted}::uuid and conversation_id = ${conversationId}),
        case when ${explicit} then null
          else (select id from messages where conversation_id = ${conversationId} order by seq desc limit 1)
        end
      ) as id
    ),
    c as (
      update conversations set
        last_seq = last_seq + 1,
        current_leaf_id = ${id},
        updated_at = now(),
        activity = nextval('conversation_activity_seq'),
        title = case when ${isUser} and title_source = 'default' then ${title}::text else title end,
        title_source = case when ${isUser} and title_source = 'default' then 'auto' else title_source end
      where id = ${conversationId}
        and (${wanted}::uuid is null or not ${explicit} or (select id from parent) is not null)
      returning last_seq
    )
    insert into messages
      (id, conversation_id, parent_id, seq, role, content, status, prompt_tokens, completion_tokens)
    select ${id}, ${conversationId}, (select id from parent), c.last_seq, ${message.role}, ${message.content},
      ${status}, ${message.usage?.promptTokens ?? null}::integer, ${
    message.usage?.completionTokens ?? null
  }::integer
    from c
    returning ${messageColumns(tx)}`;
}

/**
 * Updates a message by id (streaming progress, final status, usage). Not owner-scoped: call it only
 * with ids this server created. Null when the id is unknown or malformed.
 */
export async function updateMessage(
  sql: Queryable,
  messageId: string,
  patch: MessagePatch,
): Promise<Message | null> {
  if (patch.status !== undefined && !STATUSES.has(patch.status)) {
    throw new InvalidInputError(`unknown message status "${patch.status}"`);
  }
  checkUsage(patch.usage);
  if (patch.content !== undefined) checkText(patch.content, "content");
  if (patch.appendContent !== undefined) checkText(patch.appendContent, "appendContent");
  if (!isUuid(messageId)) return null;
  const hasUsage = patch.usage !== undefined;
  const rows = await sql`
    update messages set
      content = coalesce(${patch.content ?? null}::text, content) || ${patch.appendContent ?? ""}::text,
      status = coalesce(${patch.status ?? null}::text, status),
      prompt_tokens = case when ${hasUsage} then ${patch.usage?.promptTokens ?? null}::integer
        else prompt_tokens end,
      completion_tokens = case when ${hasUsage} then ${patch.usage?.completionTokens ?? null}::integer
        else completion_tokens end,
      updated_at = now()
    where id = ${messageId}
    returning ${messageColumns(sql)}`;
  return rows.length === 0 ? null : messageFromRow(rows[0]);
}

/**
 * The `messages` columns {@link messageFromRow} reads, unqualified, for `select` and `returning` lists.
 * Never `*`: that would also send `search`, a tsvector about as long as the text itself, which nobody
 * reads back (reading a 200-message path: 1.4 → 1.0 ms on PGlite). A fragment with the names written
 * out, not postgres.js's identifier helper (`sql(names)`), which costs ~30 µs per statement more.
 */
export function messageColumns(sql: Queryable): postgres.PendingQuery<postgres.Row[]> {
  return sql`id, conversation_id, seq, parent_id, role, content, status, prompt_tokens, completion_tokens,
    created_at, updated_at`;
}

/** Maps a `messages` row to the API shape. */
export function messageFromRow(row: Record<string, unknown>): Message {
  const prompt = row.prompt_tokens as number | null;
  const completion = row.completion_tokens as number | null;
  return {
    id: row.id as string,
    conversationId: row.conversation_id as string,
    seq: row.seq as number,
    parentId: (row.parent_id as string | null) ?? null,
    role: row.role as MessageRole,
    content: row.content as string,
    status: row.status as MessageStatus,
    usage: prompt === null && completion === null
      ? null
      : { promptTokens: prompt, completionTokens: completion },
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function checkUsage(usage: TokenUsage | undefined): void {
  if (usage === undefined) return;
  for (const n of [usage.promptTokens, usage.completionTokens]) {
    if (n !== null && (!Number.isInteger(n) || n < 0 || n > 2_147_483_647)) {
      throw new InvalidInputError("token counts must be non-negative integers");
    }
  }
}
