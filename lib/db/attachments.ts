/**
 * Attachments repository: uploaded files (bytea) owned by an owner, linked to a user message when
 * sent. Every query is scoped by owner, so another owner's id behaves as a missing one.
 */
import { isOwnerId, isUuid } from "./ids.ts";
import { iso, type Queryable } from "./sql.ts";

/** An attachment without its bytes, as the API shows it. */
export interface AttachmentMeta {
  id: string;
  /** Null until sent with a message. */
  messageId: string | null;
  name: string;
  mimeType: string;
  sizeBytes: number;
  createdAt: string;
}

/** An attachment with its bytes. */
export interface AttachmentFile extends AttachmentMeta {
  data: Uint8Array;
}

/** A new upload (type already checked by magic bytes). */
export interface NewAttachment {
  name: string;
  mimeType: string;
  data: Uint8Array;
}

function metaFromRow(row: Record<string, unknown>): AttachmentMeta {
  return {
    id: row.id as string,
    messageId: (row.message_id as string | null) ?? null,
    name: row.name as string,
    mimeType: row.mime_type as string,
    sizeBytes: Number(row.size_bytes),
    createdAt: iso(row.created_at),
  };
}

function fileFromRow(row: Record<string, unknown>): AttachmentFile {
  const data = row.data as Uint8Array;
  return { ...metaFromRow(row), data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Stores an unsent upload; the owner row must exist. */
export async function insertAttachment(
  sql: Queryable,
  ownerId: string,
  file: NewAttachment,
): Promise<AttachmentMeta> {
  const rows = await sql`
    insert into attachments (owner_id, name, mime_type, size_bytes, data)
    values (${ownerId}, ${file.name}, ${file.mimeType}, ${file.data.byteLength}, ${file.data})
    returning id, message_id, name, mime_type, size_bytes, created_at`;
  return metaFromRow(rows[0]);
}

/** One of the owner's attachments with its bytes, or null (unknown id, or another owner's). */
export async function getAttachment(
  sql: Queryable,
  ownerId: string,
  id: string,
): Promise<AttachmentFile | null> {
  if (!isOwnerId(ownerId) || !isUuid(id)) return null;
  const rows = await sql`select * from attachments where id = ${id} and owner_id = ${ownerId}`;
  return rows.length ? fileFromRow(rows[0]) : null;
}

/** The owner's unsent attachments among `ids` (others' or already-sent ones are left out). */
export async function unsentAttachments(
  sql: Queryable,
  ownerId: string,
  ids: readonly string[],
): Promise<AttachmentMeta[]> {
  const valid = ids.filter(isUuid);
  if (!isOwnerId(ownerId) || valid.length === 0) return [];
  const rows = await sql`
    select id, message_id, name, mime_type, size_bytes, created_at from attachments
    where owner_id = ${ownerId} and message_id is null and id = any(${valid}::uuid[])`;
  return rows.map(metaFromRow);
}

/** Links the owner's unsent `ids` to `messageId`; returns how many were linked. */
export async function linkAttachments(
  sql: Queryable,
  ownerId: string,
  messageId: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await sql`
    update attachments set message_id = ${messageId}
    where owner_id = ${ownerId} and message_id is null and id = any(${[...ids]}::uuid[])
    returning id`;
  return rows.length;
}

/** Attachments of the given messages (oldest upload first), grouped by message id; bytes only when asked. */
export async function attachmentsOfMessages(
  sql: Queryable,
  ownerId: string,
  messageIds: readonly string[],
  options: { withData?: boolean } = {},
): Promise<Map<string, AttachmentFile[] | AttachmentMeta[]>> {
  const out = new Map<string, AttachmentMeta[]>();
  const valid = messageIds.filter(isUuid);
  if (!isOwnerId(ownerId) || valid.length === 0) return out;
  const rows = options.withData
    ? await sql`
      select * from attachments where owner_id = ${ownerId} and message_id = any(${valid}::uuid[])
      order by created_at, id`
    : await sql`
      select id, message_id, name, mime_type, size_bytes, created_at from attachments
      where owner_id = ${ownerId} and message_id = any(${valid}::uuid[])
      order by created_at, id`;
  for (const row of rows) {
    const item = options.withData ? fileFromRow(row) : metaFromRow(row);
    const list = out.get(item.messageId!) ?? [];
    list.push(item);
    out.set(item.messageId!, list);
  }
  return out;
}

/** Number of the owner's unsent uploads. */
export async function countUnsent(sql: Queryable, ownerId: string): Promise<number> {
  const rows =
    await sql`select count(*)::int as n from attachments where owner_id = ${ownerId} and message_id is null`;
  return Number(rows[0].n);
}

/** Deletes the owner's unsent uploads older than `maxAgeMs`; returns how many. */
export async function deleteStaleUnsent(sql: Queryable, ownerId: string, maxAgeMs: number): Promise<number> {
  const rows = await sql`
    delete from attachments
    where owner_id = ${ownerId} and message_id is null
      and created_at < now() - make_interval(secs => ${maxAgeMs / 1000})
    returning id`;
  return rows.length;
}

/** Deletes one of the owner's unsent uploads (a sent one stays with its message); returns whether it did. */
export async function deleteUnsent(sql: Queryable, ownerId: string, id: string): Promise<boolean> {
  if (!isOwnerId(ownerId) || !isUuid(id)) return false;
  const rows = await sql`
    delete from attachments where id = ${id} and owner_id = ${ownerId} and message_id is null returning id`;
  return rows.length > 0;
}

/** Copies the files of one of the owner's messages onto another (an edited version); returns how many. */
export async function copyAttachments(
  sql: Queryable,
  ownerId: string,
  fromMessageId: string,
  toMessageId: string,
): Promise<number> {
  const rows = await sql`
    insert into attachments (owner_id, message_id, name, mime_type, size_bytes, data, created_at)
    select owner_id, ${toMessageId}, name, mime_type, size_bytes, data, created_at
    from attachments where owner_id = ${ownerId} and message_id = ${fromMessageId}
    order by created_at, id
    returning id`;
  return rows.length;
}
