/**
 * Conversations, always scoped to an owner: an unknown id, a malformed id and another owner's id
 * all read as "not found" (`null` / `false`), never as another owner's row or a SQL error.
 */
import { InvalidInputError } from "./errors.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import { iso, type Queryable } from "./sql.ts";
import { checkText } from "./text.ts";
import { DEFAULT_TITLE, MAX_TITLE_LENGTH } from "./title.ts";
import { type PathMessage, pathTo } from "./tree.ts";

/** Where a title came from; `custom` stops automatic titling. */
export type TitleSource = "default" | "auto" | "custom";

/** A row of the conversation list (`GET /api/conversations`). */
export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

/** A conversation without its messages. */
export interface Conversation extends ConversationSummary {
  titleSource: TitleSource;
  systemPrompt: string;
  model: string | null;
}

/** A conversation with the messages of its current branch (`GET /api/conversations/:id`). */
export interface ConversationWithMessages extends Conversation {
  /** The path from the root to the current leaf, oldest first. */
  messages: PathMessage[];
}

/** Fields accepted when creating a conversation. */
export interface NewConversation {
  /** A given title counts as custom: it is never replaced automatically. */
  title?: string;
  systemPrompt?: string;
  model?: string | null;
}

/** Fields accepted when updating; omitted fields are unchanged. */
export interface ConversationPatch {
  title?: string;
  systemPrompt?: string;
  model?: string | null;
}

/** Options of {@link listConversations}. */
export interface ListOptions {
  /** At most this many rows (1..500, default 50). */
  limit?: number;
  /** Case-insensitive substring the title must contain. */
  query?: string;
}

/** The owner's conversations, most recently updated first. Unknown owner -> empty list. */
export async function listConversations(
  sql: Queryable,
  ownerId: string,
  options: ListOptions = {},
): Promise<ConversationSummary[]> {
  if (!isOwnerId(ownerId)) return [];
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new InvalidInputError("limit must be an integer from 1 to 500");
  }
  const query = options.query === undefined ? "" : checkText(options.query, "query").trim();
  const pattern = query === "" ? null : `%${query.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
  const rows = await sql`
    select id, title, created_at, updated_at
    from conversations
    where owner_id = ${ownerId} ${pattern === null ? sql`` : sql`and title ilike ${pattern}`}
    order by activity desc
    limit ${limit}`;
  return rows.map((row) => ({
    id: row.id as string,
    title: row.title as string,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }));
}

/** Creates a conversation (and the owner row when missing). */
export async function createConversation(
  sql: Queryable,
  ownerId: string,
  input: NewConversation = {},
): Promise<Conversation> {
  if (!isOwnerId(ownerId)) throw new InvalidInputError("owner id must be 1 to 200 characters");
  const title = input.title === undefined ? null : checkTitle(input.title);
  checkOptionalText(input);
  const rows = await sql`
    with owner as (
      insert into owners (id) values (${ownerId}) on conflict (id) do nothing
    )
    insert into conversations (owner_id, title, title_source, system_prompt, model)
    values (
      ${ownerId},
      coalesce(${title}::text, ${DEFAULT_TITLE}),
      ${title === null ? "default" : "custom"},
      ${input.systemPrompt ?? ""},
      ${input.model ?? null}
    )
    returning *`;
  return conversationFromRow(rows[0]);
}

/** One conversation with the path to its current leaf, or null when not the owner's. */
export async function getConversation(
  sql: Queryable,
  ownerId: string,
  id: string,
): Promise<ConversationWithMessages | null> {
  if (!isOwnerId(ownerId) || !isUuid(id)) return null;
  const rows = await sql`select * from conversations where id = ${id} and owner_id = ${ownerId}`;
  if (rows.length === 0) return null;
  const messages = await pathTo(sql, id, (rows[0].current_leaf_id as string | null) ?? null);
  return { ...conversationFromRow(rows[0]), messages };
}

/**
 * Updates title / system prompt / model and bumps `updatedAt`; a new title becomes custom. An empty
 * patch changes nothing. Null when not the owner's.
 */
export async function updateConversation(
  sql: Queryable,
  ownerId: string,
  id: string,
  patch: ConversationPatch,
): Promise<Conversation | null> {
  const title = patch.title === undefined ? null : checkTitle(patch.title);
  checkOptionalText(patch);
  if (!isOwnerId(ownerId) || !isUuid(id)) return null;
  if (title === null && patch.systemPrompt === undefined && patch.model === undefined) {
    const current = await sql`select * from conversations where id = ${id} and owner_id = ${ownerId}`;
    return current.length === 0 ? null : conversationFromRow(current[0]);
  }
  const rows = await sql`
    update conversations set
      title = coalesce(${title}::text, title),
      title_source = case when ${title}::text is null then title_source else 'custom' end,
      system_prompt = coalesce(${patch.systemPrompt ?? null}::text, system_prompt),
      model = case when ${patch.model !== undefined} then ${patch.model ?? null}::text else model end,
      updated_at = now(),
      activity = nextval('conversation_activity_seq')
    where id = ${id} and owner_id = ${ownerId}
    returning *`;
  return rows.length === 0 ? null : conversationFromRow(rows[0]);
}

/** Deletes a conversation and (by cascade) its messages. False when not the owner's. */
export async function deleteConversation(sql: Queryable, ownerId: string, id: string): Promise<boolean> {
  if (!isOwnerId(ownerId) || !isUuid(id)) return false;
  const rows = await sql`delete from conversations where id = ${id} and owner_id = ${ownerId} returning id`;
  return rows.length > 0;
}

/** Maps a `conversations` row to the API shape. */
export function conversationFromRow(row: Record<string, unknown>): Conversation {
  return {
    id: row.id as string,
    title: row.title as string,
    titleSource: row.title_source as TitleSource,
    systemPrompt: row.system_prompt as string,
    model: (row.model as string | null) ?? null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function checkOptionalText(fields: { systemPrompt?: string; model?: string | null }): void {
  if (fields.systemPrompt !== undefined) checkText(fields.systemPrompt, "systemPrompt");
  if (fields.model !== undefined && fields.model !== null) checkText(fields.model, "model");
}

function checkTitle(title: string): string {
  const clean = checkText(title, "title").replace(/\s+/g, " ").trim();
  if (clean === "" || [...clean].length > MAX_TITLE_LENGTH) {
    throw new InvalidInputError(`title must be 1 to ${MAX_TITLE_LENGTH} characters`);
  }
  return clean;
}
