/**
 * Token buckets kept in PostgreSQL (table `rate_limits`, migration 0002), so a limit holds across
 * every app instance sharing the database. One take of several keys is one upsert statement: each
 * bucket is refilled for the time since its last take and charged when it holds enough tokens;
 * a refused bucket is charged nothing. Rows lock in key order, so concurrent takes never deadlock.
 */
import type { Queryable } from "./sql.ts";

/** One bucket to charge: its key, its policy and the cost of this take. */
export interface BucketTake {
  key: string;
  /** Most tokens the bucket holds (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
  /** Tokens this take needs (>= 0). */
  cost: number;
}

/** Outcome of one bucket's take. */
export interface BucketResult {
  key: string;
  allowed: boolean;
  /** Tokens left after the take (after refilling; not charged when refused). */
  tokens: number;
  /** Seconds until the take could succeed (0 when allowed). */
  retryAfterSeconds: number;
}

/** Charges every bucket in `takes` in one statement; results in the order of `takes`. */
export async function takeBuckets(sql: Queryable, takes: readonly BucketTake[]): Promise<BucketResult[]> {
  if (takes.length === 0) return [];
  const rows = [...takes]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((t) => ({
      key: t.key,
      tokens: t.cost <= t.capacity ? t.capacity - t.cost : t.capacity,
      capacity: t.capacity,
      refill_per_second: t.refillPerSecond,
      last_cost: t.cost,
      allowed: t.cost <= t.capacity,
    }));
  const refill = sql`rate_limit_refill(rate_limits.tokens, excluded.capacity,
    excluded.refill_per_second, rate_limits.updated_at, excluded.updated_at)`;
  const out = await sql`
    insert into rate_limits
      ${sql(rows, "key", "tokens", "capacity", "refill_per_second", "last_cost", "allowed")}
    on conflict (key) do update set
      tokens = case when ${refill} >= excluded.last_cost then ${refill} - excluded.last_cost else ${refill} end,
      allowed = ${refill} >= excluded.last_cost,
      capacity = excluded.capacity,
      refill_per_second = excluded.refill_per_second,
      last_cost = excluded.last_cost,
      updated_at = greatest(rate_limits.updated_at, excluded.updated_at)
    returning key, tokens, allowed`;
  const byKey = new Map(out.map((r) => [r.key as string, r]));
  return takes.map((t) => {
    const row = byKey.get(t.key);
    if (!row) throw new Error(`rate limit row for ${t.key} missing from the upsert result`);
    const tokens = Number(row.tokens);
    const allowed = row.allowed === true;
    const need = Math.min(t.cost, t.capacity);
    const wait = allowed ? 0 : Math.max(1, Math.ceil((need - tokens) / t.refillPerSecond));
    return { key: t.key, allowed, tokens, retryAfterSeconds: wait };
  });
}

/** Gives back `cost` tokens to each key (a take that another bucket refused), capped at capacity. */
export async function refundBuckets(
  sql: Queryable,
  refunds: readonly { key: string; cost: number }[],
): Promise<void> {
  for (const r of [...refunds].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    await sql`update rate_limits set tokens = least(capacity, tokens + ${r.cost}) where key = ${r.key}`;
  }
}

/** Deletes buckets that have refilled completely (they are equivalent to no row); returns how many. */
export async function sweepFullBuckets(sql: Queryable): Promise<number> {
  const rows = await sql`
    delete from rate_limits
    where rate_limit_refill(tokens, capacity, refill_per_second, updated_at, clock_timestamp()) >= capacity
    returning 1`;
  return rows.length;
}
