/**
 * Embedded PostgreSQL: PGlite (Postgres compiled to WASM) persisted under `<dataDir>/pglite`, run
 * in this process and reached by postgres.js through {@link PGliteWires} (its `socket` option), so
 * the app talks to it with the same code it uses for a real server. Nothing listens: no other
 * process can connect (PGlite would accept any user and password). PGlite runs one query at a time
 * in one session: clients use a single connection (`max: 1`). An exclusive lock on
 * `<dataDir>/pglite.lock` stops a second process (or a second open in this one) from sharing the files.
 */
import { PGlite } from "@electric-sql/pglite";
import { DatabaseError } from "./errors.ts";
import { type PGliteWire, PGliteWires } from "./pglite_wire.ts";

/** A running embedded database. */
export interface EmbeddedServer {
  /** A new connection to it, for postgres.js's `socket` option. */
  connect(): PGliteWire;
  /** Directory holding the PGlite data files. */
  readonly dataDir: string;
  /** Closes every connection, then PGlite (flushing its data), and releases the lock. */
  close(): Promise<void>;
}

/** Opens (creating on first use) the PGlite database in `<dataDir>/pglite`. */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
  const base = dataDir.replace(/\/+$/, "") || ".";
  const dir = `${base}/pglite`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await Deno.open(`${base}/pglite.lock`, { create: true, write: true, mode: 0o600 });
  const cleanups: (() => Promise<void> | void)[] = [() => lock.close()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    if (!await lock.tryLock(true)) {
      throw new DatabaseError(
        "data_dir_locked",
        `${dir} is in use by another process (lock ${base}/pglite.lock)`,
      );
    }
    await makePrivate(dir);
    const db = await PGlite.create({ dataDir: dir });
    // PGlite creates its files with the process umask (often 0644): make them owner-only now, and
    // again after closing (files created while running sit in 0700 directories meanwhile).
    await makePrivate(dir);
    cleanups.push(() => makePrivate(dir).catch(() => {}));
    cleanups.push(() => db.close());
    const wires = new PGliteWires(db);
    cleanups.push(() => wires.closeAll());
    let closed = false;
    return {
      connect: () => wires.connect(),
      dataDir: dir,
      async close() {
        if (closed) return;
        closed = true;
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * Makes `path` private to the OS user: directories 0700, files 0600, recursively (symbolic links
 * are left alone). No-op on Windows, which has no POSIX modes.
 */
export async function makePrivate(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const info = await Deno.lstat(path);
  if (info.isSymlink) return;
  if (info.isDirectory) {
    if ((info.mode! & 0o777) !== 0o700) await Deno.chmod(path, 0o700);
    for await (const entry of Deno.readDir(path)) await makePrivate(`${path}/${entry.name}`);
  } else if (info.isFile && (info.mode! & 0o777) !== 0o600) {
    await Deno.chmod(path, 0o600);
  }
}
