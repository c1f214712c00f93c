/**
 * Typed errors of the conversation store. Every error carries a `code` the web layer maps to an
 * HTTP status: `database_unavailable` -> 503, `invalid_input` -> 400. `migration_failed` and
 * `data_dir_locked` (another process uses the embedded data directory) are start-up failures.
 * Unknown or foreign ids are not errors: lookups return `null` (-> 404).
 * Messages never contain the connection URL or its password.
 */

import { CodedError } from "../../ml/errors.ts";

/** Codes a {@link DatabaseError} can carry. */
export type DatabaseErrorCode =
  | "database_unavailable"
  | "invalid_input"
  | "not_found"
  | "migration_failed"
  | "data_dir_locked";

/** Base class of every error thrown by `lib/db`. */
export class DatabaseError extends CodedError<DatabaseErrorCode> {
  constructor(code: DatabaseErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "DatabaseError";
  }
}

/** The database cannot be reached (refused, timed out, shutting down, connection lost). */
export class DatabaseUnavailableError extends DatabaseError {
  constructor(message = "database unavailable", options?: { cause?: unknown }) {
    super("database_unavailable", message, options);
    this.name = "DatabaseUnavailableError";
  }
}

/** An id the request refers to (a folder to move into) is not the owner's: HTTP 404. */
export class NotFoundError extends DatabaseError {
  constructor(message: string) {
    super("not_found", message);
    this.name = "NotFoundError";
  }
}

/** An argument the store refuses (empty title, unknown role or status, ...). */
export class InvalidInputError extends DatabaseError {
  constructor(message: string) {
    super("invalid_input", message);
    this.name = "InvalidInputError";
  }
}

// postgres.js connection-level error codes, Node socket errors, SQLSTATE classes 08
// (connection exception) and 57P0x (operator intervention: shutdown, cannot connect now), and 53300
// (too many clients: the server refuses new connections until others close).
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** True when `error` means the database could not be reached or the connection was lost. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
  const name = (error as { name?: unknown }).name;
  // Deno surfaces some socket failures as named errors without a Node code.
  return name === "ConnectionRefused" || name === "ConnectionReset" || name === "BrokenPipe" ||
    name === "TimedOut";
}

/** Maps connection failures to {@link DatabaseUnavailableError}; other errors pass through. */
export function toDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseError) return error;
  if (isConnectionError(error)) {
    const code = (error as { code?: unknown }).code;
    return new DatabaseUnavailableError(
      `database unavailable${typeof code === "string" ? ` (${code})` : ""}`,
      { cause: error },
    );
  }
  return error;
}

/** Wraps a repository function: {@link guardedBy}'s result. */
export type Guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => Promise<R>;

/**
 * What every repository call goes through: `ready` first (pending migrations), then the call, with
 * connection failures mapped by {@link toDatabaseError}. With `ready` null (a transaction's store,
 * opened after the migrations) the call starts at once, so a method whose statement is its first
 * await has started that statement when it returns, before anything the caller does next.
 */
export function guardedBy(ready: (() => Promise<unknown>) | null): Guard {
  if (ready === null) {
    return <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
      fn(...args).catch((error) => Promise.reject(toDatabaseError(error)));
  }
  return <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      await ready();
      return await fn(...args);
    } catch (error) {
      throw toDatabaseError(error);
    }
  };
}
