/**
 * Embedded PostgreSQL: PGlite (Postgres compiled to WASM) persisted under `<dataDir>/pglite`,
 * served on a loopback TCP port by `@electric-sql/pglite-socket`, so the app talks to it with the
 * same postgres.js code it uses for a real server. PGlite runs one query at a time; clients should
 * connect with a single connection (`max: 1`).
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** A running embedded server. */
export interface EmbeddedServer {
  /** Loopback host the socket server listens on. */
  readonly host: string;
  /** Port chosen by the OS. */
  readonly port: number;
  /** Directory holding the PGlite data files. */
  readonly dataDir: string;
  /** Stops the socket server and closes PGlite (flushing its data to disk). */
  close(): Promise<void>;
}

/** Opens (creating on first use) the PGlite database in `<dataDir>/pglite` and serves it on loopback. */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
  const dir = `${dataDir.replace(/\/+$/, "")}/pglite`;
  await Deno.mkdir(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const [host, port] = splitHostPort(server.getServerConn());
  let closed = false;
  return {
    host,
    port,
    dataDir: dir,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await server.stop();
      } finally {
        await db.close();
      }
    },
  };
}

function splitHostPort(conn: string): [string, number] {
  const i = conn.lastIndexOf(":");
  const port = Number(conn.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0) {
    throw new Error(`unexpected PGlite server address ${conn}`);
  }
  return [conn.slice(0, i), port];
}
