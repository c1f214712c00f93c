/**
 * Versioned SQL migrations: `lib/db/migrations/NNNN_name.sql`, applied in order, each once, each in
 * its own transaction under a transaction-level advisory lock (so concurrent starts of the app
 * serialize), and recorded in `schema_migrations`. The same SQL runs on PostgreSQL 15+ and PGlite.
 */
import type { Sql } from "postgres";
import { DatabaseError, isConnectionError, toDatabaseError } from "./errors.ts";

/** One migration file. */
export interface Migration {
  /** Numeric prefix of the file name, e.g. 1 for `0001_init.sql`. */
  version: number;
  /** File name without `.sql`, e.g. `0001_init`. */
  name: string;
  sql: string;
}

/** Advisory lock key shared by every process migrating the same database ("minicla" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x6d696e69636c61n;

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/** Reads and sorts the migration files; rejects duplicate versions and malformed names. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const match = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(entry.name);
    if (!match) throw new DatabaseError("migration_failed", `bad migration file name ${entry.name}`);
    migrations.push({
      version: Number(match[1]),
      name: entry.name.slice(0, -4),
      sql: await Deno.readTextFile(new URL(entry.name, dir)),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new DatabaseError("migration_failed", `two migrations share version ${migrations[i].version}`);
    }
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded; returns the names applied by this call (empty when the
 * schema is current). Connection failures surface as `database_unavailable`, SQL failures as
 * `migration_failed` (the failing migration is rolled back entirely).
 */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const list = migrations ?? await loadMigrations();
  const applied: string[] = [];
  let current = "";
  try {
    for (const migration of list) {
      current = migration.name;
      const didApply = await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
        await tx`
          create table if not exists schema_migrations (
            version integer primary key,
            name text not null,
            applied_at timestamptz not null default now()
          )`;
        const done = await tx`select 1 from schema_migrations where version = ${migration.version}`;
        if (done.length > 0) return false;
        await tx.unsafe(migration.sql).simple();
        await tx`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
        return true;
      });
      if (didApply) applied.push(migration.name);
    }
  } catch (error) {
    if (isConnectionError(error) || error instanceof DatabaseError) throw toDatabaseError(error);
    const message = error instanceof Error ? error.message : String(error);
    throw new DatabaseError("migration_failed", `migration ${current} failed: ${message}`, { cause: error });
  }
  return applied;
}
