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
    select * from messages where conversation_id in ${sql(conversations.map((c) => c.id as string))}
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

/** What {@link insertImported} did. */
export type InsertOutcome = { kind: "imported"; id: string; messages: number } | { kind: "duplicate" };

/**
 * Inserts one imported conversation with its message tree (new ids; parents before children in
 * `conversation.messages`), unless the owner already has one from the same `source`. Run it in a
 * transaction: a later failure of the file rolls this back too.
 */
export async function insertImported(
  sql: Queryable,
  ownerId: string,
  conversation: ImportConversation,
  folderId: string | null,
): Promise<InsertOutcome> {
  if (!isOwnerId(ownerId)) throw new InvalidInputError("owner id must be 1 to 200 characters");
  const ids = new Map<string, string>();
  for (const m of conversation.messages) ids.set(m.key, crypto.randomUUID());
  const leafKey = conversation.currentLeafKey !== null && ids.has(conversation.currentLeafKey)
    ? conversation.currentLeafKey
    : conversation.messages.at(-1)?.key ?? null;
  const inserted = await sql`
    insert into conversations (owner_id, title, title_source, system_prompt, model, folder_id, pinned, archived,
      source, last_seq, current_leaf_id, created_at, updated_at)
    values (${ownerId}, ${conversation.title}, ${conversation.titleSource}, ${conversation.systemPrompt},
      ${conversation.model}, ${folderId}, ${conversation.pinned}, ${conversation.archived}, ${conversation.source},
      ${conversation.messages.length}, ${leafKey === null ? null : ids.get(leafKey)!},
      coalesce(${conversation.createdAt?.toISOString() ?? null}::timestamptz, now()),
      coalesce(${conversation.updatedAt?.toISOString() ?? null}::timestamptz,
        ${conversation.createdAt?.toISOString() ?? null}::timestamptz, now()))
    on conflict (owner_id, source) where source is not null do nothing
    returning id`;
  if (inserted.length === 0) return { kind: "duplicate" };
  const id = inserted[0].id as string;
  const ms = conversation.messages;
  for (let from = 0; from < ms.length; from += 1000) {
    const batch = ms.slice(from, from + 1000);
    await sql`
      insert into messages (id, conversation_id, parent_id, seq, role, content, status, prompt_tokens,
        completion_tokens, created_at, updated_at)
      select m.id, ${id}::uuid, m.parent_id, m.seq, m.role, m.content, m.status, m.prompt_tokens,
        m.completion_tokens, coalesce(m.created_at, now()), coalesce(m.updated_at, m.created_at, now())
      from unnest(
        ${batch.map((m) => ids.get(m.key)!)}::uuid[],
        ${batch.map((m) => m.parentKey === null ? null : ids.get(m.parentKey) ?? null)}::uuid[],
        ${batch.map((_, i) => from + i + 1)}::int[],
        ${batch.map((m) => m.role)}::text[],
        ${batch.map((m) => m.content)}::text[],
        ${batch.map((m) => m.status)}::text[],
        ${batch.map((m) => m.usage?.promptTokens ?? null)}::int[],
        ${batch.map((m) => m.usage?.completionTokens ?? null)}::int[],
        ${batch.map((m) => m.createdAt?.toISOString() ?? null)}::timestamptz[],
        ${batch.map((m) => m.updatedAt?.toISOString() ?? null)}::timestamptz[]
      ) as m(id, parent_id, seq, role, content, status, prompt_tokens, completion_tokens, created_at, updated_at)`;
  }
  return { kind: "imported", id, messages: ms.length };
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
