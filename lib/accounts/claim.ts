/**
 * Claiming: the conversations a browser made while anonymous (owned by its cookie's owner id) move
 * into the account it signs into, when the user ticks the box on sign-in or registration.
 */
import type { Queryable } from "../db/sql.ts";

/** How many conversations `anonymousOwnerId` holds (0 for an owner with none or no row). */
export async function countClaimable(sql: Queryable, anonymousOwnerId: string): Promise<number> {
  const rows = await sql`select count(*)::int as n from conversations where owner_id = ${anonymousOwnerId}`;
  return rows[0].n as number;
}

/**
 * Moves every conversation of `anonymousOwnerId` to `userOwnerId`; returns how many moved. Never
 * moves conversations of an account's owner (`user:` ids are not claimable).
 */
export async function claimConversations(
  sql: Queryable,
  anonymousOwnerId: string,
  userOwnerId: string,
): Promise<number> {
  if (anonymousOwnerId.startsWith("user:") || anonymousOwnerId === userOwnerId) return 0;
  const before = await sql`select count(*)::int as n from conversations where owner_id = ${anonymousOwnerId}`;
  // Folders first: the conversations in them follow (foreign key on update cascade, migration 0007);
  // then the conversations outside any folder.
  await sql`update folders set owner_id = ${userOwnerId} where owner_id = ${anonymousOwnerId}`;
  await sql`update conversations set owner_id = ${userOwnerId} where owner_id = ${anonymousOwnerId}`;
  return before[0].n as number;
}
