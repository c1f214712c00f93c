/**
 * Embedded PostgreSQL: PGlite (Postgres compiled to WASM) persisted under `<dataDir>/pglite`,
 * served by `@electric-sql/pglite-socket` so the app talks to it with the same postgres.js code it
 * uses for a real server. PGlite accepts any user and password, so by default it listens on a Unix
 * socket inside a fresh 0700 directory (only this OS user can connect); `transport: "tcp"` listens
 * on 127.0.0.1 with an OS-chosen port instead (the default on Windows). PGlite runs one query at a
 * time: clients should use a single connection (`max: 1`). An exclusive lock on
 * `<dataDir>/pglite.lock` stops a second process (or a second open in this one) from sharing the files.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { DatabaseError } from "./errors.ts";

/** How the embedded server is reached. */
export type EmbeddedTransport = "unix" | "tcp";

/** Where postgres.js connects: a Unix socket path, or a loopback host and port. */
export type EmbeddedAddress = { path: string } | { host: string; port: number };

/** A running embedded server. */
export interface EmbeddedServer {
  readonly address: EmbeddedAddress;
  /** Directory holding the PGlite data files. */
  readonly dataDir: string;
  /** Stops the socket server, closes PGlite (flushing its data) and releases the lock. */
  close(): Promise<void>;
}

/** Opens (creating on first use) the PGlite database in `<dataDir>/pglite` and serves it locally. */
export async function startEmbedded(
  dataDir: string,
  transport: EmbeddedTransport = Deno.build.os === "windows" ? "tcp" : "unix",
): Promise<EmbeddedServer> {
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
    let address: EmbeddedAddress;
    let server: PGLiteSocketServer;
    if (transport === "unix") {
      const socketDir = await Deno.makeTempDir({ prefix: "mini-claude-pglite-" });
      await Deno.chmod(socketDir, 0o700);
      cleanups.push(() => Deno.remove(socketDir, { recursive: true }).catch(() => {}));
      // libpq naming, and short enough for the ~107-byte limit on socket paths.
      address = { path: `${socketDir}/.s.PGSQL.5432` };
      server = new PGLiteSocketServer({ db, path: address.path });
      await server.start();
    } else {
      server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0 });
      await server.start();
      address = splitHostPort(server.getServerConn());
    }
    cleanups.push(() => server.stop());
    let closed = false;
    return {
      address,
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

function splitHostPort(conn: string): { host: string; port: number } {
  const i = conn.lastIndexOf(":");
  const port = Number(conn.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0) {
    throw new Error(`unexpected PGlite server address ${conn}`);
  }
  return { host: conn.slice(0, i), port };
}
