/**
 * Per-user limits stored with the account, for the parts of the app that enforce them. The daily
 * token budget itself is enforced by the cost module (keyed by owner id); this is where it reads
 * an account's own limit from.
 */
import type { Queryable } from "../db/sql.ts";

/**
 * The daily token limit an admin set for the account owning `ownerId`: a number of tokens, or null
 * when none is set (use the server's default) or when `ownerId` is an anonymous browser's owner.
 */
export async function dailyTokenLimitFor(sql: Queryable, ownerId: string): Promise<number | null> {
  if (!ownerId.startsWith("user:")) return null;
  const rows = await sql`select daily_token_limit from users where owner_id = ${ownerId}`;
  return (rows[0]?.daily_token_limit as number | null | undefined) ?? null;
}
