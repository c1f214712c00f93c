/**
 * Conversations, always scoped to an owner: an unknown id, a malformed id and another owner's id
 * all read as "not found" (`null` / `false`), never as another owner's row or a SQL error.
 */
import { InvalidInputError, NotFoundError } from "./errors.ts";
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
  /** The owner's folder it is in, or null. */
  folderId: string | null;
  pinned: boolean;
  archived: boolean;
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
  /**
   * The owner's folder to create it in (else `not_found`); its system prompt and model are used
   * where `systemPrompt` / `model` are not given.
   */
  folderId?: string | null;
}

/**
 * Fields accepted when updating; omitted fields are unchanged. Title, system prompt and model
 * count as activity (the conversation moves to the top); folder, pin and archive do not.
 */
export interface ConversationPatch {
  title?: string;
  systemPrompt?: string;
  model?: string | null;
  /** Move into the owner's folder (else `not_found`), or out of any folder with null. */
  folderId?: string | null;
  pinned?: boolean;
  archived?: boolean;
}

/** Options of {@link listConversations}. */
export interface ListOptions {
  /** At most this many rows (1..500, default 50). */
  limit?: number;
  /** Case-insensitive substring the title must contain. */
  query?: string;
  /** Only archived conversations (true), only the others (false); default: both. */
  archived?: boolean;
  /** Only pinned (true) or only unpinned (false) conversations; default: both. */
  pinned?: boolean;
  /** Only the conversations in this folder. */
  folderId?: string;
  /** Keyset cursor: continue after the page that returned this `nextCursor`. */
  before?: string;
}

/** A page of the conversation list and the cursor of the next one (null after the last). */
export interface ConversationPage {
  conversations: ConversationSummary[];
  nextCursor: string | null;
}

/** The owner's conversations, most recently updated first. Unknown owner -> empty list. */
export async function listConversations(
  sql: Queryable,
  ownerId: string,
  options: ListOptions = {},
): Promise<ConversationSummary[]> {
  return (await listConversationPage(sql, ownerId, options)).conversations;
}

/**
 * One page of the owner's conversations, most recent activity first, paged by keyset on the
 * `activity` counter (the `(owner_id, activity desc)` index), so page N costs what page 1 costs.
 * A malformed cursor is `invalid_input`; an unknown folder id gives an empty page.
 */
export async function listConversationPage(
  sql: Queryable,
  ownerId: string,
  options: ListOptions = {},
): Promise<ConversationPage> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new InvalidInputError("limit must be an integer from 1 to 500");
  }
  if (options.before !== undefined && !/^[1-9][0-9]{0,18}$/.test(options.before)) {
    throw new InvalidInputError("before must be a cursor returned by a previous page");
  }
  const query = options.query === undefined ? "" : checkText(options.query, "query").trim();
  if (!isOwnerId(ownerId)) return { conversations: [], nextCursor: null };
  if (options.folderId !== undefined && !isUuid(options.folderId)) {
    return { conversations: [], nextCursor: null };
  }
  const pattern = query === "" ? null : `%${query.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
  const rows = await sql`
    select id, title, created_at, updated_at, folder_id, pinned, archived, activity
    from conversations
    where owner_id = ${ownerId}
      ${pattern === null ? sql`` : sql`and title ilike ${pattern}`}
      ${options.archived === undefined ? sql`` : sql`and archived = ${options.archived}`}
      ${options.pinned === undefined ? sql`` : sql`and pinned = ${options.pinned}`}
      ${options.folderId === undefined ? sql`` : sql`and folder_id = ${options.folderId}`}
      ${options.before === undefined ? sql`` : sql`and activity < ${options.before}::bigint`}
    order by activity desc
    limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  return {
    conversations: page.map(summaryFromRow),
    nextCursor: rows.length > limit ? String(page[page.length - 1].activity) : null,
  };
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
  const folderId = input.folderId ?? null;
  if (folderId !== null && !isUuid(folderId)) throw new NotFoundError("Folder not found");
  const rows = await sql`
    with owner as (
      insert into owners (id) values (${ownerId}) on conflict (id) do nothing
    ),
    folder as (
      select id, system_prompt, model from folders where id = ${folderId}::uuid and owner_id = ${ownerId}
    )
    insert into conversations (owner_id, title, title_source, system_prompt, model, folder_id)
    select
      ${ownerId},
      coalesce(${title}::text, ${DEFAULT_TITLE}),
      ${title === null ? "default" : "custom"},
      coalesce(${input.systemPrompt ?? null}::text, folder.system_prompt, ''),
      case when ${input.model !== undefined} then ${input.model ?? null}::text else folder.model end,
      folder.id
    from (select 1) one left join folder on true
    where ${folderId}::uuid is null or folder.id is not null
    returning *`;
  if (rows.length === 0) throw new NotFoundError("Folder not found");
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
  const content = title !== null || patch.systemPrompt !== undefined || patch.model !== undefined;
  const moves = patch.folderId !== undefined;
  if (!content && !moves && patch.pinned === undefined && patch.archived === undefined) {
    const current = await sql`select * from conversations where id = ${id} and owner_id = ${ownerId}`;
    return current.length === 0 ? null : conversationFromRow(current[0]);
  }
  const folderId = patch.folderId ?? null;
  if (folderId !== null) {
    const folder = isUuid(folderId)
      ? await sql`select 1 from folders where id = ${folderId} and owner_id = ${ownerId}`
      : [];
    if (folder.length === 0) throw new NotFoundError("Folder not found");
  }
  // The composite foreign key (folder_id, owner_id) also refuses another owner's folder.
  const rows = await sql`
    update conversations set
      title = coalesce(${title}::text, title),
      title_source = case when ${title}::text is null then title_source else 'custom' end,
      system_prompt = coalesce(${patch.systemPrompt ?? null}::text, system_prompt),
      model = case when ${patch.model !== undefined} then ${patch.model ?? null}::text else model end,
      folder_id = case when ${moves} then ${folderId}::uuid else folder_id end,
      pinned = coalesce(${patch.pinned ?? null}::boolean, pinned),
      archived = coalesce(${patch.archived ?? null}::boolean, archived),
      updated_at = case when ${content} then now() else updated_at end,
      activity = case when ${content} then nextval('conversation_activity_seq') else activity end
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

/** Maps a `conversations` row to a list row. */
export function summaryFromRow(row: Record<string, unknown>): ConversationSummary {
  return {
    id: row.id as string,
    title: row.title as string,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    folderId: (row.folder_id as string | null) ?? null,
    pinned: row.pinned as boolean,
    archived: row.archived as boolean,
  };
}

/** Maps a `conversations` row to the API shape. */
export function conversationFromRow(row: Record<string, unknown>): Conversation {
  return {
    ...summaryFromRow(row),
    titleSource: row.title_source as TitleSource,
    systemPrompt: row.system_prompt as string,
    model: (row.model as string | null) ?? null,
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
