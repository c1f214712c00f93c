/**
 * Abandoned anonymous owners expire: an owner that is only a browser session (`owners.anonymous`,
 * migration 0009) and has not been active for the retention period is deleted, and with it, by
 * cascade, its conversations, messages and token usage. Owners that belong to a user account are
 * never deleted: the code that links an owner to a user calls {@link markOwnerPermanent}.
 */
import { isOwnerId } from "./ids.ts";
import type { Queryable } from "./sql.ts";

/**
 * Records activity of `ownerId` (no-op for an unknown owner). Cheap enough to call on requests,
 * but callers throttle it (see `lib/security/owner_activity.ts`).
 */
export async function touchOwner(sql: Queryable, ownerId: string): Promise<void> {
  if (!isOwnerId(ownerId)) return;
  await sql`update owners set last_active_at = now() where id = ${ownerId}`;
}

/**
 * Marks an owner as belonging to a user account (or, with `permanent = false`, as anonymous
 * again), so the expiry sweep never deletes it. Returns whether the owner exists.
 */
export async function markOwnerPermanent(
  sql: Queryable,
  ownerId: string,
  permanent = true,
): Promise<boolean> {
  if (!isOwnerId(ownerId)) return false;
  const rows = await sql`update owners set anonymous = ${!permanent} where id = ${ownerId} returning id`;
  return rows.length > 0;
}

/**
 * Deletes anonymous owners inactive for `retentionDays`: no request recorded by
 * {@link touchOwner} and no conversation changed since then. Returns the deleted owner ids.
 */
export async function expireAnonymousOwners(sql: Queryable, retentionDays: number): Promise<string[]> {
  if (!(retentionDays > 0)) throw new RangeError(`retentionDays must be positive, got ${retentionDays}`);
  const rows = await sql`
    delete from owners o
    where o.anonymous
      and o.last_active_at < now() - make_interval(days => ${retentionDays})
      and not exists (
        select 1 from conversations c
        where c.owner_id = o.id and c.updated_at >= now() - make_interval(days => ${retentionDays})
      )
    returning o.id`;
  return rows.map((r) => r.id as string);
}
