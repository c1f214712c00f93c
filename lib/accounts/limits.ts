/**
 * Per-user limits, for the parts of the app that enforce them. The daily token budget is enforced
 * per owner by `lib/security/token_budget.ts`, which reads `owners.daily_token_limit`; an account's
 * limit is stored there, on the owner row the user owns (the admin page writes it).
 */
import type { Queryable } from "../db/sql.ts";

/**
 * The daily token limit set for `ownerId` (an account's owner or an anonymous browser's): a number
 * of tokens, or null when none is set (the server's `DAILY_TOKEN_BUDGET` applies) or the owner is
 * unknown.
 */
export async function dailyTokenLimitFor(sql: Queryable, ownerId: string): Promise<number | null> {
  const rows = await sql`select daily_token_limit from owners where id = ${ownerId}`;
  const v = rows[0]?.daily_token_limit;
  return v == null ? null : Number(v);
}
