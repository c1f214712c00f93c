/**
 * Reading an owner's conversations for export, a page at a time, and writing imported ones.
 * Export pages are a keyset on the conversation id (stable while the owner keeps chatting: nothing
 * is skipped or repeated), so an export of any size holds one page in memory, and holds no
 * transaction (PGlite serves one connection: a long transaction would stall the app).
 */
import type { ExportedConversation, ExportedFolder, ExportedMessage } from "../transfer/format.ts";
import type { ImportConversation } from "../transfer/import/types.ts";
import { InvalidInputError } from "./errors.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import { messageColumns } from "./messages.ts";
import { iso, type Queryable } from "./sql.ts";

/** The owner's folders in export form, oldest first. */
export async function exportFolders(sql: Queryable, ownerId: string): Promise<ExportedFolder[]> {
  if (!isOwnerId(ownerId)) return [];
  const rows = await sql`select * from folders where owner_id = ${ownerId} order by created_at, id`;
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    systemPrompt: r.system_prompt as string,
    model: (r.model as string | null) ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  }));
}

/**
 * Up to `limit` of the owner's conversations with ids after `afterId` (all when null), in id
 * order, each with all its messages. `ids` restricts the page to those conversations.
 */
export async function exportConversations(
  sql: Queryable,
  ownerId: string,
  options: { afterId?: string | null; limit?: number; ids?: string[] } = {},
): Promise<ExportedConversation[]> {
  const limit = options.limit ?? 20;
  if (!isOwnerId(ownerId)) return [];
  if (options.afterId != null && !isUuid(options.afterId)) throw new InvalidInputError("bad export cursor");
  const ids = options.ids?.filter(isUuid);
  if (ids && ids.length === 0) return [];
  const conversations = await sql`
    select c.*, coalesce(
      (select m.id from messages m where m.id = c.current_leaf_id and m.conversation_id = c.id),
      (select m.id from messages m where m.conversation_id = c.id order by m.seq desc limit 1)
    ) as leaf_id
    from conversations c
    where c.owner_id = ${ownerId}
      ${options.afterId ? sql`and c.id > ${options.afterId}` : sql``}
      ${ids ? sql`and c.id in ${sql(ids)}` : sql``}
    order by c.id
    limit ${limit}`;
  if (conversations.length === 0) return [];
  const messages = await sql`
    select ${messageColumns(sql)} from messages where conversation_id in ${
    sql(conversations.map((c) => c.id as string))
  }
    order by conversation_id, seq`;
  const byConversation = new Map<string, ExportedMessage[]>();
  for (const m of messages) {
    const list = byConversation.get(m.conversation_id as string) ?? [];
    const prompt = m.prompt_tokens as number | null;
    const completion = m.completion_tokens as number | null;
    list.push({
      id: m.id as string,
      parentId: (m.parent_id as string | null) ?? null,
      role: m.role as ExportedMessage["role"],
      content: m.content as string,
      status: m.status as ExportedMessage["status"],
      usage: prompt === null && completion === null
        ? null
        : { promptTokens: prompt, completionTokens: completion },
      createdAt: iso(m.created_at),
      updatedAt: iso(m.updated_at),
    });
    byConversation.set(m.conversation_id as string, list);
  }
  return conversations.map((c) => ({
    id: c.id as string,
    title: c.title as string,
    titleSource: c.title_source as ExportedConversation["titleSource"],
    systemPrompt: c.system_prompt as string,
    model: (c.model as string | null) ?? null,
    folderId: (c.folder_id as string | null) ?? null,
    pinned: c.pinned as boolean,
    archived: c.archived as boolean,
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
    currentLeafId: (c.leaf_id as string | null) ?? null,
    messages: byConversation.get(c.id as string) ?? [],
  }));
}

/** What {@link insertImported} did with a batch. */
export interface InsertOutcome {
  imported: number;
  /** Conversations whose source the owner had imported before (or twice in the batch): skipped. */
  duplicates: number;
  messages: number;
}

/** One conversation to insert and the owner's folder it goes into. */
export interface ImportItem {
  conversation: ImportConversation;
  folderId: string | null;
}

/** Rows per multi-row insert of messages. */
const MESSAGE_ROWS_PER_INSERT = 2000;

/**
 * Inserts a batch of imported conversations with their message trees (new ids; parents before
 * children in each `messages` list) in two statements per batch, skipping any whose `source` the
 * owner already has (or, for a Mini-Claude export, whose original the owner still has). Run it in a transaction: a later failure of the file rolls this back too.
 */
export async function insertImported(
  sql: Queryable,
  ownerId: string,
  items: ImportItem[],
): Promise<InsertOutcome> {
  if (!isOwnerId(ownerId)) throw new InvalidInputError("owner id must be 1 to 200 characters");
  const unique = new Map<string, ImportItem>();
  for (const item of items) {
    if (!unique.has(item.conversation.source)) unique.set(item.conversation.source, item);
  }
  const batch = [...unique.values()];
  if (batch.length === 0) return { imported: 0, duplicates: items.length, messages: 0 };
  const messageIds = batch.map((item) =>
    new Map(item.conversation.messages.map((m) => [m.key, crypto.randomUUID()]))
  );
  const leafIds = batch.map(({ conversation: c }, i) => {
    const key = c.currentLeafKey !== null && messageIds[i].has(c.currentLeafKey)
      ? c.currentLeafKey
      : c.messages.at(-1)?.key ?? null;
    return key === null ? null : messageIds[i].get(key)!;
  });
  const time = (d: Date | null) => d?.toISOString() ?? null;
  // Booleans travel as text: postgres.js sends a JS boolean array as a scalar.
  const inserted = await sql`
    insert into conversations (owner_id, title, title_source, system_prompt, model, folder_id, pinned, archived,
      source, last_seq, current_leaf_id, created_at, updated_at)
    select ${ownerId}, c.title, c.title_source, c.system_prompt, c.model, c.folder_id, c.pinned, c.archived,
      c.source, c.last_seq, c.leaf, coalesce(c.created_at, now()), coalesce(c.updated_at, c.created_at, now())
    from unnest(
      ${batch.map((b) => b.conversation.title)}::text[],
      ${batch.map((b) => b.conversation.titleSource)}::text[],
      ${batch.map((b) => b.conversation.systemPrompt)}::text[],
      ${batch.map((b) => b.conversation.model)}::text[],
      ${batch.map((b) => b.folderId)}::uuid[],
      ${batch.map((b) => String(b.conversation.pinned))}::text[]::boolean[],
      ${batch.map((b) => String(b.conversation.archived))}::text[]::boolean[],
      ${batch.map((b) => b.conversation.source)}::text[],
      ${batch.map((b) => b.conversation.messages.length)}::int[],
      ${leafIds}::uuid[],
      ${batch.map((b) => time(b.conversation.createdAt))}::timestamptz[],
      ${batch.map((b) => time(b.conversation.updatedAt))}::timestamptz[]
    ) as c(title, title_source, system_prompt, model, folder_id, pinned, archived, source, last_seq, leaf,
      created_at, updated_at)
    -- Our own export of this owner's conversation, imported back: the original is still here.
    where not exists (
      select 1 from conversations o
      where o.owner_id = ${ownerId} and c.source like 'mini-claude:%' and o.id::text = substr(c.source, 13)
    )
    on conflict (owner_id, source) where source is not null do nothing
    returning id, source`;
  const idBySource = new Map(inserted.map((r) => [r.source as string, r.id as string]));
  type Row = [
    string,
    string,
    string | null,
    number,
    string,
    string,
    string,
    number | null,
    number | null,
    string | null,
    string | null,
  ];
  const rows: Row[] = [];
  batch.forEach(({ conversation: c }, i) => {
    const conversationId = idBySource.get(c.source);
    if (conversationId === undefined) return;
    const ids = messageIds[i];
    c.messages.forEach((m, k) => {
      rows.push([
        ids.get(m.key)!,
        conversationId,
        m.parentKey === null ? null : ids.get(m.parentKey) ?? null,
        k + 1,
        m.role,
        m.content,
        m.status,
        m.usage?.promptTokens ?? null,
        m.usage?.completionTokens ?? null,
        time(m.createdAt),
        time(m.updatedAt),
      ]);
    });
  });
  // Parents precede children within a conversation, so a parent is always in an earlier or the same
  // statement; the foreign keys are checked at the end of each statement.
  for (let from = 0; from < rows.length; from += MESSAGE_ROWS_PER_INSERT) {
    const part = rows.slice(from, from + MESSAGE_ROWS_PER_INSERT);
    const col = <T>(i: number) => part.map((r) => r[i] as T);
    await sql`
      insert into messages (id, conversation_id, parent_id, seq, role, content, status, prompt_tokens,
        completion_tokens, created_at, updated_at)
      select m.id, m.conversation_id, m.parent_id, m.seq, m.role, m.content, m.status, m.prompt_tokens,
        m.completion_tokens, coalesce(m.created_at, now()), coalesce(m.updated_at, m.created_at, now())
      from unnest(
        ${col<string>(0)}::uuid[], ${col<string>(1)}::uuid[], ${col<string | null>(2)}::uuid[],
        ${col<number>(3)}::int[], ${col<string>(4)}::text[], ${col<string>(5)}::text[], ${
      col<string>(6)
    }::text[],
        ${col<number | null>(7)}::int[], ${col<number | null>(8)}::int[],
        ${col<string | null>(9)}::timestamptz[], ${col<string | null>(10)}::timestamptz[]
      ) as m(id, conversation_id, parent_id, seq, role, content, status, prompt_tokens, completion_tokens,
        created_at, updated_at)`;
  }
  return { imported: idBySource.size, duplicates: items.length - idBySource.size, messages: rows.length };
}

/**
 * The owner's folder named `folder.name` (the oldest, when several); created with the given
 * settings and times when there is none.
 */
export async function folderByName(
  sql: Queryable,
  ownerId: string,
  folder: Pick<ExportedFolder, "name" | "systemPrompt" | "model"> & {
    createdAt?: string;
    updatedAt?: string;
  },
): Promise<string> {
  const found = await sql`
    select id from folders where owner_id = ${ownerId} and name = ${folder.name} order by created_at limit 1`;
  if (found.length > 0) return found[0].id as string;
  const created = await sql`
    with owner as (insert into owners (id) values (${ownerId}) on conflict (id) do nothing)
    insert into folders (owner_id, name, system_prompt, model, created_at, updated_at)
    values (${ownerId}, ${folder.name}, ${folder.systemPrompt}, ${folder.model},
      coalesce(${folder.createdAt ?? null}::timestamptz, now()), coalesce(${
    folder.updatedAt ?? null
  }::timestamptz, now()))
    returning id`;
  return created[0].id as string;
}
