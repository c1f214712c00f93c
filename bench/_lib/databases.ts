/**
 * The databases a bench compares: embedded PGlite in a temporary directory and, where the server
 * binaries exist, a throwaway PostgreSQL cluster. Everything opened is closed (newest first) by
 * {@link BenchDatabases.close}.
 */
import { type Database, openDatabase } from "../../lib/db/mod.ts";
import {
  type PostgresCluster,
  postgresMissing,
  startPostgresCluster,
} from "../../tests/_helpers/postgres_cluster.ts";

/** Opens bench databases and remembers how to close them. */
export class BenchDatabases {
  readonly #cleanups: (() => Promise<void>)[] = [];

  /** Runs `cleanup` at {@link close} (before whatever was registered earlier). */
  onClose(cleanup: () => Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /** Embedded PGlite in a new temporary directory named with `prefix`. */
  async embedded(prefix: string): Promise<Database> {
    const dataDir = await Deno.makeTempDir({ prefix });
    this.onClose(() => Deno.remove(dataDir, { recursive: true }));
    const db = await openDatabase({ dataDir });
    this.onClose(() => db.close());
    return db;
  }

  /**
   * A fresh PostgreSQL cluster and the store on it, or null (after printing why) where the server
   * binaries are missing.
   */
  async postgres(): Promise<{ cluster: PostgresCluster; db: Database } | null> {
    const missing = postgresMissing();
    if (missing !== null) {
      console.log(`PostgreSQL skipped: ${missing}\n`);
      return null;
    }
    const cluster = await startPostgresCluster();
    this.onClose(() => cluster.destroy());
    const db = await this.server(cluster.url);
    return { cluster, db };
  }

  /** The store on the server at `databaseUrl`. */
  async server(databaseUrl: string): Promise<Database> {
    const db = await openDatabase({ databaseUrl, dataDir: "/nonexistent" });
    this.onClose(() => db.close());
    return db;
  }

  /** Closes everything opened, newest first. */
  async close(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
  }
}
