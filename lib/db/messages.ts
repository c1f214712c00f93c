/**
 * Messages of a conversation. Order is the per-conversation `seq`, handed out by incrementing the
 * conversation's `last_seq` under its row lock, so concurrent appends get distinct, increasing
 * positions and order never depends on timestamps.
 */
import { InvalidInputError } from "./errors.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import { inTransaction, iso, type Queryable, type Transactional } from "./sql.ts";
import { checkText } from "./text.ts";
import { autoTitle, DEFAULT_TITLE } from "./title.ts";

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
  /** Position in the conversation: increasing, unique per conversation (gaps after truncation). */
  seq: number;
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

/**
 * Appends a message at the end of the owner's conversation and bumps its `updatedAt`. The first
 * user message names a conversation whose title is still the default. Null when not the owner's.
 */
export async function appendMessage(
  sql: Queryable,
  ownerId: string,
  conversationId: string,
  message: NewMessage,
): Promise<Message | null> {
  if (!ROLES.has(message.role)) throw new InvalidInputError(`role must be "user" or "assistant"`);
  const status = message.status ?? "complete";
  if (!STATUSES.has(status)) throw new InvalidInputError(`unknown message status "${status}"`);
  checkText(message.content, "content");
  checkUsage(message.usage);
  if (!isOwnerId(ownerId) || !isUuid(conversationId)) return null;
  const isUser = message.role === "user";
  const title = isUser ? autoTitle(message.content) : null;
  const rows = await sql`
    with c as (
      update conversations set
        last_seq = last_seq + 1,
        updated_at = now(),
        title = case when ${isUser} and title_source = 'default' then ${title}::text else title end,
        title_source = case when ${isUser} and title_source = 'default' then 'auto' else title_source end
      where id = ${conversationId} and owner_id = ${ownerId}
      returning id, last_seq
    )
    insert into messages (conversation_id, seq, role, content, status, prompt_tokens, completion_tokens)
    select id, last_seq, ${message.role}, ${message.content}, ${status},
      ${message.usage?.promptTokens ?? null}::integer, ${message.usage?.completionTokens ?? null}::integer
    from c
    returning *`;
  return rows.length === 0 ? null : messageFromRow(rows[0]);
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
    returning *`;
  return rows.length === 0 ? null : messageFromRow(rows[0]);
}

/** Options of {@link truncateAfter}. */
export interface TruncateOptions {
  /** Also delete the given message itself (editing a user message). Default false. */
  inclusive?: boolean;
}

/**
 * Deletes the messages after `messageId` (and the message itself with `inclusive`) in the owner's
 * conversation: regenerate keeps the last user message, edit removes it. An automatic title falls
 * back to the default when no user message remains. Returns how many were deleted, or null when the
 * conversation or message is not the owner's.
 */
export function truncateAfter(
  sql: Transactional,
  ownerId: string,
  conversationId: string,
  messageId: string,
  options: TruncateOptions = {},
): Promise<number | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId) || !isUuid(messageId)) return Promise.resolve(null);
  return inTransaction(sql, async (tx) => {
    const target = await tx`
      select m.seq from conversations c join messages m on m.conversation_id = c.id
      where c.id = ${conversationId} and c.owner_id = ${ownerId} and m.id = ${messageId}
      for update of c`;
    if (target.length === 0) return null;
    const from = (target[0].seq as number) + (options.inclusive ? 0 : 1);
    const deleted = await tx`
      delete from messages where conversation_id = ${conversationId} and seq >= ${from} returning id`;
    await tx`
      update conversations set
        updated_at = now(),
        title = case when title_source = 'auto' and not exists (
          select 1 from messages where conversation_id = ${conversationId} and role = 'user'
        ) then ${DEFAULT_TITLE} else title end,
        title_source = case when title_source = 'auto' and not exists (
          select 1 from messages where conversation_id = ${conversationId} and role = 'user'
        ) then 'default' else title_source end
      where id = ${conversationId}`;
    return deleted.length;
  });
}

/** The last `limit` messages of the owner's conversation, oldest first; null when not the owner's. */
export async function lastMessages(
  sql: Queryable,
  ownerId: string,
  conversationId: string,
  limit: number,
): Promise<Message[] | null> {
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError("limit must be a positive integer");
  if (!isOwnerId(ownerId) || !isUuid(conversationId)) return null;
  const owned = await sql`select 1 from conversations where id = ${conversationId} and owner_id = ${ownerId}`;
  if (owned.length === 0) return null;
  const rows = await sql`
    select * from (
      select * from messages where conversation_id = ${conversationId} order by seq desc limit ${limit}
    ) last order by seq`;
  return rows.map(messageFromRow);
}

/** Maps a `messages` row to the API shape. */
export function messageFromRow(row: Record<string, unknown>): Message {
  const prompt = row.prompt_tokens as number | null;
  const completion = row.completion_tokens as number | null;
  return {
    id: row.id as string,
    conversationId: row.conversation_id as string,
    seq: row.seq as number,
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
