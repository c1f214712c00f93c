/**
 * A transaction whose `begin` costs no round trip of its own and whose `commit` the caller may
 * overlap with other work (issue 20, first-token overhead). postgres.js's `sql.begin` awaits the
 * answer to `begin` before running its callback; here `begin` is sent on a reserved connection and
 * the callback's first statements follow it in the same write (postgres.js pipelines statements
 * whose prepared form the connection knows). PostgreSQL runs them in order, so they are inside the
 * transaction exactly as if `begin` had been awaited.
 *
 * Every way out ends the transaction and gives the connection back: a throw (from a statement or
 * from the callback itself) sends `rollback` and then releases; a lost connection is not released
 * (postgres.js already moved it to its closed connections, and a release would hand a dead
 * connection to the pool); `commit` releases once it has answered. Statements the callback starts
 * after the transaction ended are refused without being sent, so a stray one can never run outside
 * the transaction or on a connection someone else holds.
 *
 * The callback may also send `commit` itself, right behind its last statements and before their
 * answers ({@link TransactionEnd.commit}): the last write and the commit then share one round trip.
 * That is safe because PostgreSQL decides: after a failed statement the transaction is aborted and
 * its `commit` answers `ROLLBACK`, which rejects the commit's promise here, so nothing is reported
 * stored that was not.
 */
import { setImmediate } from "node:timers";
import type postgres from "postgres";
import { CodedError } from "../../ml/errors.ts";
import { isConnectionError, toDatabaseError } from "./errors.ts";

/** What {@link pipelinedTransaction} resolves with once `fn` has finished and `commit` was sent. */
export interface PipelinedCommit<T> {
  /** What `fn` returned. */
  value: T;
  /**
   * Settles with the commit: resolves once it succeeded, rejects (with a `DatabaseError` for a lost
   * connection) when it failed, in which case nothing `fn` wrote is stored.
   */
  committed: Promise<void>;
}

/** How a callback of {@link pipelinedTransaction} may end its transaction early. */
export interface TransactionEnd {
  /**
   * Sends `commit` behind every statement already created, without waiting for their answers.
   * postgres.js hands a statement to the connection a few microtasks after it is awaited (or
   * executed) and writes what it holds in a `setImmediate`; the commit is handed in an immediate
   * scheduled now, so after every statement created before this call whose start waits on nothing
   * but resolved promises, and in the same write when the last of them was handed after this call
   * (the usual case: the write was started just before). Statements created after this call are
   * refused, so the last write must be one statement already created, not one that waits on
   * another's answer. Resolves once the
   * transaction committed; rejects when it did not (a statement before it failed, so the server
   * rolled back: {@link TransactionRolledBackError}; or the commit itself failed). After this call
   * a throw of the callback no longer rolls back: what the transaction wrote stays committed unless
   * one of its statements failed, so call it only when every check that could refuse has passed.
   */
  commit(): Promise<void>;
}

/** The server answered `commit` with `ROLLBACK`: a statement of the transaction had failed. */
export class TransactionRolledBackError extends CodedError<"transaction_rolled_back"> {
  constructor() {
    super("transaction_rolled_back", "the transaction was rolled back: one of its statements failed");
    this.name = "TransactionRolledBackError";
  }
}

/** A statement was started on a transaction that had already ended (rolled back or committing). */
export class TransactionEndedError extends CodedError<"transaction_ended"> {
  constructor() {
    super("transaction_ended", "a statement was started after its transaction ended; it was not sent");
    this.name = "TransactionEndedError";
  }
}

/**
 * Runs `fn` in one transaction on a connection reserved from `pool`, with `begin` pipelined in
 * front of `fn`'s first statements; resolves when `fn` has finished and `commit` has been sent
 * (its outcome is {@link PipelinedCommit.committed}). Rejects, after rolling back, when `fn` or any
 * of its statements fails; connection failures are mapped to `database_unavailable`.
 */
export async function pipelinedTransaction<T>(
  pool: postgres.Sql,
  fn: (tx: postgres.TransactionSql, end: TransactionEnd) => Promise<T>,
): Promise<PipelinedCommit<T>> {
  let reserved: postgres.ReservedSql;
  try {
    reserved = await pool.reserve();
  } catch (error) {
    throw toDatabaseError(error);
  }
  let ended = false;
  let lost = false;
  const noteLoss = (error: unknown) => {
    if (connectionLost(error)) lost = true;
  };
  const finish = () => {
    ended = true;
    if (!lost) reserved.release();
  };
  const tx = guarded(reserved, () => ended);
  const begun = reserved.unsafe("begin").execute();
  // Observed here so a failed `begin` is never an unhandled rejection; `fn`'s statements fail too.
  begun.catch(noteLoss);
  const sendCommit = (): Promise<void> => {
    ended = true;
    const committed = reserved.unsafe("commit").execute().then(
      (result) => {
        finish();
        // `commit` of a transaction aborted by a failed statement answers ROLLBACK, not an error.
        if (result.command !== "COMMIT") throw new TransactionRolledBackError();
      },
      (error) => {
        noteLoss(error);
        // A failed commit (a deferred constraint) leaves the connection idle: usable again.
        finish();
        throw toDatabaseError(error);
      },
    );
    // Never an unhandled rejection, even when the caller failed before looking at the commit.
    committed.catch(() => {});
    return committed;
  };
  let early: Promise<void> | null = null;
  const end: TransactionEnd = {
    commit() {
      if (ended) return Promise.reject(new TransactionEndedError());
      ended = true;
      early = new Promise<void>((resolve) => setImmediate(resolve)).then(sendCommit);
      early.catch(() => {});
      return early;
    },
  };
  let value: T;
  try {
    value = await fn(tx, end);
    await begun;
  } catch (error) {
    noteLoss(error);
    if (early) {
      // Committed or not, the server decides; the connection is released once it has answered.
      await (early as Promise<void>).catch(() => {});
      throw toDatabaseError(error);
    }
    ended = true;
    if (!lost) await reserved.unsafe("rollback").execute().catch(noteLoss);
    finish();
    throw toDatabaseError(error);
  }
  return { value, committed: early ?? sendCommit() };
}

/**
 * `reserved` as a transaction handle that refuses to start statements once `isEnded()` (they would
 * run outside the transaction), with `savepoint` for nested transactions (`inTransaction`).
 */
function guarded(reserved: postgres.ReservedSql, isEnded: () => boolean): postgres.TransactionSql {
  let savepoints = 0;
  const refuse = () => {
    if (isEnded()) throw new TransactionEndedError();
  };
  const savepoint = async <R>(fn: (tx: postgres.TransactionSql) => R | Promise<R>): Promise<R> => {
    const name = `s${savepoints++}`;
    await handle.unsafe(`savepoint ${name}`);
    try {
      return await fn(handle);
    } catch (error) {
      await handle.unsafe(`rollback to ${name}`);
      throw error;
    }
  };
  const handle: postgres.TransactionSql = new Proxy(reserved, {
    apply(target, self, args: unknown[]) {
      // A tagged template is a statement; a call with a plain value builds a fragment (no query).
      if (Array.isArray((args[0] as { raw?: unknown } | undefined)?.raw)) refuse();
      return Reflect.apply(target, self, args);
    },
    get(target, key, receiver) {
      if (key === "savepoint") return savepoint;
      if (key === "unsafe") {
        return (...args: Parameters<postgres.Sql["unsafe"]>) => {
          refuse();
          return target.unsafe(...args);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  }) as unknown as postgres.TransactionSql;
  return handle;
}

/**
 * Whether `error` means the connection itself is gone (so nothing may be sent on it again: postgres.js
 * fails a write to a closed socket outside any promise) rather than one statement failing on a live
 * connection. The server's own errors say so by their severity: an `ERROR` (even one whose code is
 * of the connection classes, such as 53300 raised by a trigger) is followed by the server being ready
 * again; a `FATAL` ends the session. Anything else is judged by its code (postgres.js's
 * `CONNECTION_CLOSED`, socket errors). Wrapped errors (`cause`) are judged by what they wrap.
 */
export function connectionLost(error: unknown): boolean {
  let inner = error;
  for (let depth = 0; depth < 5 && inner instanceof Error && inner.cause !== undefined; depth++) {
    inner = inner.cause;
  }
  const severity = (inner as { severity?: unknown } | null)?.severity;
  if (typeof severity === "string") return severity === "FATAL" || severity === "PANIC";
  return isConnectionError(inner);
}
