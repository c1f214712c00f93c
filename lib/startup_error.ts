/**
 * Turns an error that stopped the server from starting into one sentence for the terminal (no stack
 * trace): a missing Deno permission, a missing island build, a data directory in use by another
 * process, a database that refuses the password or cannot be reached.
 */
import { DatabaseError } from "./db/errors.ts";
import { describeMissingPermission } from "./missing_permission.ts";

/** One line describing `error`, or null when it is not a known startup failure (then rethrow it). */
export function describeStartupError(error: unknown): string | null {
  const permission = describeMissingPermission(
    error,
    "Mini-Claude cannot start",
    ({ kind }) =>
      kind === "read" || kind === "write"
        ? "`deno task start` grants read and write to ./.data and /tmp; for another DATA_DIR add it to " +
          "--allow-read and --allow-write (docs/deploy.md lists the flags)."
        : "`deno task start` grants it (docs/deploy.md lists the flags).",
  );
  if (permission !== null) return permission;
  // By name: importing the class would load esbuild, which reads the environment as it loads.
  if (error instanceof Error && error.name === "BuildMissingError") {
    return `Mini-Claude cannot start: ${error.message}`;
  }
  if (error instanceof DatabaseError && error.code === "data_dir_locked") {
    return `Mini-Claude cannot start: ${error.message}; stop the other process or use another DATA_DIR.`;
  }
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null;
  // The first query at start is a migration: its cause is the server's refusal, if any.
  const pg = [e, e?.cause as typeof e].find((x) => x?.name === "PostgresError");
  if (pg && (pg.code === "28P01" || pg.code === "28000")) {
    return `Mini-Claude cannot start: the database refused the user name or password in DATABASE_URL ` +
      `(${pg.message}).`;
  }
  if (error instanceof DatabaseError && error.code === "database_unavailable") {
    return `Mini-Claude cannot start: the database in DATABASE_URL cannot be reached (${error.message}).`;
  }
  if (error instanceof DatabaseError) return `Mini-Claude cannot start: database: ${error.message}`;
  const code = typeof e?.code === "string" ? e.code : "";
  if (["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "CONNECT_TIMEOUT"].includes(code)) {
    return `Mini-Claude cannot start: the database in DATABASE_URL cannot be reached (${code}: ${e?.message}).`;
  }
  return null;
}
