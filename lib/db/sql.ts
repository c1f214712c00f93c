/** The postgres.js handle types the repositories accept. */
import type postgres from "postgres";

/** Anything that runs a tagged-template query: the pool, a reserved connection or a transaction. */
export type Queryable = postgres.ISql;

/** A pool or a transaction; both can open a (nested) transaction. */
export type Transactional = postgres.Sql | postgres.TransactionSql;

/** Runs `fn` in a transaction (a savepoint when `q` is already a transaction). */
export function inTransaction<T>(
  q: Transactional,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  if ("begin" in q) return q.begin((tx) => fn(tx)) as Promise<T>;
  return q.savepoint((tx) => fn(tx)) as Promise<T>;
}

/** Converts a timestamptz column value to an ISO-8601 string. */
export function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}
