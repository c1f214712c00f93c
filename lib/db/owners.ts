/** Owners: one row per browser session id (taken from the signed session cookie). */
import { InvalidInputError } from "./errors.ts";
import { isOwnerId } from "./ids.ts";
import { iso, type Queryable } from "./sql.ts";

/** An owner as the API sees it. */
export interface Owner {
  id: string;
  createdAt: string;
}

/** Creates the owner if missing and returns it. Throws `invalid_input` for an empty or >200 char id. */
export async function ensureOwner(sql: Queryable, ownerId: string): Promise<Owner> {
  if (!isOwnerId(ownerId)) throw new InvalidInputError("owner id must be 1 to 200 characters");
  const rows = await sql`
    with inserted as (
      insert into owners (id) values (${ownerId}) on conflict (id) do nothing returning id, created_at
    )
    select id, created_at from inserted
    union all
    select id, created_at from owners where id = ${ownerId}
    limit 1`;
  return { id: rows[0].id as string, createdAt: iso(rows[0].created_at) };
}

/**
 * The owner's data version (migration 0011): it changes with every committed write to the owner's
 * conversations, folders, messages or attachments, by any code path on any instance. Null when the
 * owner has no row yet (nothing stored). A decimal string (bigint).
 */
export async function ownerDataVersion(sql: Queryable, ownerId: string): Promise<string | null> {
  if (!isOwnerId(ownerId)) return null;
  const rows = await sql`select data_version::text as v from owners where id = ${ownerId}`;
  return rows.length === 0 ? null : rows[0].v as string;
}

/** {@link ownerDataVersion} of several owners in one statement: id → version, owners with a row only. */
export async function ownerDataVersions(sql: Queryable, ownerIds: string[]): Promise<Map<string, string>> {
  const ids = ownerIds.filter(isOwnerId);
  if (ids.length === 0) return new Map();
  // One owner (the usual batch) by plain equality: ~30 % cheaper on PGlite than `= any(array)`.
  const rows = ids.length === 1
    ? await sql`select id, data_version::text as v from owners where id = ${ids[0]}`
    : await sql`select id, data_version::text as v from owners where id = any(${ids})`;
  return new Map(rows.map((row) => [row.id as string, row.v as string]));
}
