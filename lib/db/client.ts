/**
 * Opens the conversation store: a real PostgreSQL (or Neon) server when `databaseUrl` is given,
 * otherwise embedded PGlite in `<dataDir>/pglite`, run in this process. Both are driven by the same
 * postgres.js code. Migrations run at open; when the server is unreachable the store still opens,
 * every call fails with `database_unavailable` (HTTP 503) and the first call after the server
 * returns migrates and succeeds.
 */
import postgres from "postgres";
import { deriveConnectionOptions, type PoolSettings } from "./connection_options.ts";
import { startEmbedded } from "./embedded.ts";
import type { PGliteWire } from "./pglite_wire.ts";
import { DatabaseError, guardedBy, isConnectionError, toDatabaseError } from "./errors.ts";
import { isOwnerId } from "./ids.ts";
import { migrate } from "./migrate.ts";
import { OwnerVersions } from "./owner_versions.ts";
import { ownerDataVersions } from "./owners.ts";
import { type PipelinedCommit, pipelinedTransaction, type TransactionEnd } from "./pipelined_transaction.ts";
import { createStore, type Store } from "./store.ts";

/** Where the embedded session tells of changed owner data versions (migration 0013). */
const VERSION_CHANNEL = "mini_claude_owner_version";

/** Which engine serves the store. */
export type Engine = "pglite" | "postgres";

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions extends PoolSettings {
  /** `postgres://` URL of a server; unset = embedded PGlite. */
  databaseUrl?: string;
  /** Base directory for embedded data (`<dataDir>/pglite`). Required even with a URL (unused then). */
  dataDir: string;
  /** Told the text of each statement as it is sent (postgres.js `debug`): tests count round trips. */
  onQuery?: (statement: string) => void;
}

/** Result of {@link Database.ping}; never contains the URL or password. */
export interface DatabaseHealth {
  ok: boolean;
  latencyMs: number;
  engine: Engine;
  error?: string;
}

/** An open store: repository methods plus lifecycle. */
export interface Database extends Store {
  readonly engine: Engine;
  /** The postgres.js pool, for queries the repositories do not cover. */
  readonly sql: postgres.Sql;
  /** Round-trips `select 1`; never throws. */
  ping(): Promise<DatabaseHealth>;
  /** Runs `fn` in one transaction: everything it did is rolled back if it throws. */
  transaction<T>(fn: (store: Store, sql: postgres.TransactionSql) => Promise<T>): Promise<T>;
  /**
   * {@link transaction} with `begin` pipelined in front of `fn`'s first statements (no round trip
   * of its own), resolving once `fn` has finished and `commit` was sent: the caller may start other
   * work while the commit is under way, and must await {@link PipelinedCommit.committed} before
   * anything that depends on the rows being stored (lib/db/pipelined_transaction.ts).
   */
  pipelinedTransaction<T>(
    fn: (store: Store, sql: postgres.TransactionSql, end: TransactionEnd) => Promise<T>,
  ): Promise<PipelinedCommit<T>>;
  /** Applies pending migrations now (also done at open and lazily after an outage). */
  migrate(): Promise<string[]>;
  /** Closes the pool and, for the embedded engine, PGlite. */
  close(): Promise<void>;
}

/** Opens the store; throws only for a bad configuration or a failing migration, not for an outage. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const pool: PoolSettings = {
    poolMax: options.poolMax,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds,
  };
  let sql: postgres.Sql;
  let engine: Engine;
  // Set once the pool exists; the embedded pool's notification and close hooks reach it through this.
  const kept: { versions: OwnerVersions | null } = { versions: null };
  let secrets: string[] = [];
  let closeEngine = () => Promise.resolve();
  if (options.databaseUrl) {
    const derived = deriveConnectionOptions(options.databaseUrl, pool);
    const password = new URL(derived.url).password;
    secrets = password ? [password, safeDecode(password)] : [];
    engine = "postgres";
    sql = postgres(derived.url, {
      prepare: derived.prepare,
      ssl: derived.ssl,
      max: derived.max,
      connect_timeout: derived.connect_timeout,
      idle_timeout: derived.idle_timeout,
      onnotice: () => {},
      ...(options.onQuery ? { debug: onQuery(options.onQuery) } : {}),
    });
  } else {
    const server = await startEmbedded(options.dataDir);
    engine = "pglite";
    closeEngine = server.close;
    // The embedded session tells of changed owner versions (migration 0013): the kept ones are
    // forgotten before the commit's answer arrives; a closed connection loses its subscription.
    // (postgres.js takes `onnotify` for any pool; its types only name it for `listen`.)
    const feed: { onnotify(channel: string, payload: string): void } = {
      onnotify: (channel, payload) => {
        if (channel === VERSION_CHANNEL) kept.versions?.forget(payload);
      },
    };
    // postgres.js's `socket` option (in its README; its types do not name it) takes the connection.
    const wire: { socket: () => PGliteWire } = { socket: server.connect };
    // PGlite executes one query at a time: a single connection keeps transactions unambiguous.
    sql = postgres({
      ...wire,
      user: "postgres",
      database: "postgres",
      max: 1,
      ssl: false,
      connect_timeout: options.connectTimeoutSeconds ?? 5,
      idle_timeout: 0,
      onnotice: () => {},
      onclose: () => kept.versions?.restart(),
      ...feed,
      ...(options.onQuery ? { debug: onQuery(options.onQuery) } : {}),
    });
  }

  let migrated = false;
  let pending: Promise<string[]> | null = null;
  const runMigrations = (): Promise<string[]> => {
    if (migrated) return Promise.resolve([]);
    pending ??= migrate(sql).then(
      (applied) => {
        migrated = true;
        pending = null;
        return applied;
      },
      (error) => {
        pending = null;
        throw error;
      },
    );
    return pending;
  };
  const ready = async () => {
    if (!migrated) await runMigrations();
  };

  try {
    await runMigrations();
  } catch (error) {
    if (!(error instanceof DatabaseError && error.code === "database_unavailable")) {
      await sql.end({ timeout: 1 }).catch(() => {});
      await closeEngine();
      throw error;
    }
  }

  const store = createStore(sql, ready);
  // Page requests read their owner's data version concurrently: batched (lib/db/owner_versions.ts),
  // and on the embedded engine kept until the database says they changed.
  const versions = new OwnerVersions(
    guardedBy(ready)((ids: string[]) => ownerDataVersions(sql, ids)),
    engine === "pglite"
      ? { listen: guardedBy(ready)(async () => void await sql`listen ${sql(VERSION_CHANNEL)}`) }
      : null,
  );
  kept.versions = versions;
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join("***"), text);
  const pingTimeoutMs = ((options.connectTimeoutSeconds ?? 5) + 2) * 1000;

  return {
    ...store,
    ownerDataVersion: (ownerId) => isOwnerId(ownerId) ? versions.version(ownerId) : Promise.resolve(null),
    engine,
    sql,
    async ping() {
      const started = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          sql`select 1`.execute(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("ping timed out")), pingTimeoutMs);
          }),
        ]);
        await ready();
        return { ok: true, latencyMs: round(performance.now() - started), engine };
      } catch (error) {
        return {
          ok: false,
          latencyMs: round(performance.now() - started),
          engine,
          error: describe(error, redact),
        };
      } finally {
        clearTimeout(timer);
      }
    },
    async transaction<T>(fn: (store: Store, sql: postgres.TransactionSql) => Promise<T>): Promise<T> {
      await ready().catch((error) => Promise.reject(toDatabaseError(error)));
      try {
        return await sql.begin((tx) => fn(createStore(tx, null), tx)) as T;
      } catch (error) {
        throw toDatabaseError(error);
      }
    },
    async pipelinedTransaction<T>(
      fn: (store: Store, sql: postgres.TransactionSql, end: TransactionEnd) => Promise<T>,
    ): Promise<PipelinedCommit<T>> {
      await ready().catch((error) => Promise.reject(toDatabaseError(error)));
      return await pipelinedTransaction(
        sql,
        (tx, end) => fn(createStore(tx, null), tx, end),
      );
    },
    migrate: runMigrations,
    async close() {
      try {
        await sql.end({ timeout: 5 });
      } finally {
        await closeEngine();
      }
    },
  };
}

function describe(error: unknown, redact: (text: string) => string): string {
  if (isConnectionError(error)) {
    const code = (error as { code?: unknown }).code;
    return `database unreachable${typeof code === "string" ? ` (${code})` : ""}`;
  }
  return redact(error instanceof Error ? error.message : String(error));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function onQuery(fn: (statement: string) => void) {
  return (_connection: number, statement: string) => fn(statement);
}
