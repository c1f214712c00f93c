/**
 * Folders (projects) of an owner: a name plus the system prompt and model that new conversations
 * created in the folder start with. Deleting a folder moves its conversations out (the foreign key
 * sets `folder_id` to null); it never deletes them. Scoped like conversations: another owner's or
 * a malformed id reads as not found.
 */
import { InvalidInputError } from "./errors.ts";
import { isOwnerId, isUuid } from "./ids.ts";
import { iso, type Queryable } from "./sql.ts";
import { checkText } from "./text.ts";

/** Longest folder name, in characters. */
export const MAX_FOLDER_NAME_LENGTH = 200;

/** A folder as the API sees it. */
export interface Folder {
  id: string;
  name: string;
  /** Given to new conversations created in the folder. */
  systemPrompt: string;
  /** Given to new conversations created in the folder; null = the provider's default. */
  model: string | null;
  /** How many conversations are in it (archived ones included). */
  conversationCount: number;
  createdAt: string;
  updatedAt: string;
}

/** Fields of a new folder. */
export interface NewFolder {
  name: string;
  systemPrompt?: string;
  model?: string | null;
}

/** Changes to a folder; omitted fields are unchanged. */
export interface FolderPatch {
  name?: string;
  systemPrompt?: string;
  model?: string | null;
}

/** The owner's folders, oldest first. */
export async function listFolders(sql: Queryable, ownerId: string): Promise<Folder[]> {
  if (!isOwnerId(ownerId)) return [];
  const rows = await sql`
    select f.*, (select count(*)::int from conversations c where c.folder_id = f.id) as conversation_count
    from folders f where f.owner_id = ${ownerId} order by f.created_at, f.id`;
  return rows.map(folderFromRow);
}

/** One of the owner's folders, or null. */
export async function getFolder(sql: Queryable, ownerId: string, id: string): Promise<Folder | null> {
  if (!isOwnerId(ownerId) || !isUuid(id)) return null;
  const rows = await sql`
    select f.*, (select count(*)::int from conversations c where c.folder_id = f.id) as conversation_count
    from folders f where f.id = ${id} and f.owner_id = ${ownerId}`;
  return rows.length === 0 ? null : folderFromRow(rows[0]);
}

/** Creates a folder (and the owner row when missing). */
export async function createFolder(sql: Queryable, ownerId: string, input: NewFolder): Promise<Folder> {
  if (!isOwnerId(ownerId)) throw new InvalidInputError("owner id must be 1 to 200 characters");
  const name = checkName(input.name);
  checkDefaults(input);
  const rows = await sql`
    with owner as (insert into owners (id) values (${ownerId}) on conflict (id) do nothing)
    insert into folders (owner_id, name, system_prompt, model)
    values (${ownerId}, ${name}, ${input.systemPrompt ?? ""}, ${input.model ?? null})
    returning *, 0 as conversation_count`;
  return folderFromRow(rows[0]);
}

/** Renames a folder or changes its defaults; null when not the owner's. */
export async function updateFolder(
  sql: Queryable,
  ownerId: string,
  id: string,
  patch: FolderPatch,
): Promise<Folder | null> {
  const name = patch.name === undefined ? null : checkName(patch.name);
  checkDefaults(patch);
  if (!isOwnerId(ownerId) || !isUuid(id)) return null;
  const rows = await sql`
    update folders set
      name = coalesce(${name}::text, name),
      system_prompt = coalesce(${patch.systemPrompt ?? null}::text, system_prompt),
      model = case when ${patch.model !== undefined} then ${patch.model ?? null}::text else model end,
      updated_at = now()
    where id = ${id} and owner_id = ${ownerId}
    returning *, (select count(*)::int from conversations c where c.folder_id = folders.id) as conversation_count`;
  return rows.length === 0 ? null : folderFromRow(rows[0]);
}

/** Deletes a folder; its conversations stay, outside any folder. False when not the owner's. */
export async function deleteFolder(sql: Queryable, ownerId: string, id: string): Promise<boolean> {
  if (!isOwnerId(ownerId) || !isUuid(id)) return false;
  const rows = await sql`delete from folders where id = ${id} and owner_id = ${ownerId} returning id`;
  return rows.length > 0;
}

function folderFromRow(row: Record<string, unknown>): Folder {
  return {
    id: row.id as string,
    name: row.name as string,
    systemPrompt: row.system_prompt as string,
    model: (row.model as string | null) ?? null,
    conversationCount: Number(row.conversation_count ?? 0),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function checkName(name: string): string {
  const clean = checkText(name, "name").replace(/\s+/g, " ").trim();
  if (clean === "" || [...clean].length > MAX_FOLDER_NAME_LENGTH) {
    throw new InvalidInputError(`name must be 1 to ${MAX_FOLDER_NAME_LENGTH} characters`);
  }
  return clean;
}

function checkDefaults(fields: { systemPrompt?: string; model?: string | null }): void {
  if (fields.systemPrompt !== undefined) checkText(fields.systemPrompt, "systemPrompt");
  if (fields.model !== undefined && fields.model !== null) checkText(fields.model, "model");
}
