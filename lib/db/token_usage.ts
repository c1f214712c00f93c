/**
 * Reply tokens charged per owner and UTC day (table `token_usage`, migration 0009), and the
 * per-owner override of the daily budget (`owners.daily_token_limit`). The day is passed in by
 * the caller (an ISO date, `YYYY-MM-DD`), so the app's clock decides when a day rolls over.
 */
import { InvalidInputError } from "./errors.ts";
import { isOwnerId } from "./ids.ts";
import type { Queryable } from "./sql.ts";

/** An owner's use of one day. */
export interface DailyUsage {
  /** Tokens charged on that day (0 when none). */
  tokens: number;
  /** The owner's own daily limit, or null when the server default applies (also for an unknown owner). */
  ownerLimit: number | null;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function checkDay(day: string): void {
  if (!DAY.test(day)) throw new InvalidInputError(`day must be an ISO date (YYYY-MM-DD), got "${day}"`);
}

/** Tokens `ownerId` used on `day` and its own limit, in one round trip. */
export async function dailyUsage(sql: Queryable, ownerId: string, day: string): Promise<DailyUsage> {
  checkDay(day);
  if (!isOwnerId(ownerId)) return { tokens: 0, ownerLimit: null };
  const rows = await sql`
    select
      (select tokens from token_usage where owner_id = ${ownerId} and day = ${day}::date) as tokens,
      (select daily_token_limit from owners where id = ${ownerId}) as owner_limit`;
  const row = rows[0];
  return {
    tokens: row.tokens === null ? 0 : Number(row.tokens),
    ownerLimit: row.owner_limit === null ? null : Number(row.owner_limit),
  };
}

/**
 * Adds `tokens` to the owner's total of `day` and returns the new total; null when the owner does
 * not exist (nothing is charged then).
 */
export async function chargeTokens(
  sql: Queryable,
  ownerId: string,
  day: string,
  tokens: number,
): Promise<number | null> {
  checkDay(day);
  if (!Number.isSafeInteger(tokens) || tokens < 0) {
    throw new InvalidInputError(`tokens must be a non-negative integer, got ${tokens}`);
  }
  if (!isOwnerId(ownerId)) return null;
  const rows = await sql`
    insert into token_usage (owner_id, day, tokens)
    select id, ${day}::date, ${tokens} from owners where id = ${ownerId}
    on conflict (owner_id, day) do update set tokens = token_usage.tokens + excluded.tokens
    returning tokens`;
  return rows.length === 0 ? null : Number(rows[0].tokens);
}

/**
 * Sets (or with null clears, back to the server default) an owner's daily token limit. For the
 * admin page's per-user limit: pass the owner id of that user. Returns whether the owner exists.
 */
export async function setDailyTokenLimit(
  sql: Queryable,
  ownerId: string,
  limit: number | null,
): Promise<boolean> {
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidInputError(`the daily token limit must be a non-negative integer or null, got ${limit}`);
  }
  if (!isOwnerId(ownerId)) return false;
  const rows = await sql`update owners set daily_token_limit = ${limit} where id = ${ownerId} returning id`;
  return rows.length > 0;
}

/** Deletes usage rows of days before `keepFrom` (an ISO date); returns how many. */
export async function pruneTokenUsage(sql: Queryable, keepFrom: string): Promise<number> {
  checkDay(keepFrom);
  const rows = await sql`delete from token_usage where day < ${keepFrom}::date returning owner_id`;
  return rows.length;
}
