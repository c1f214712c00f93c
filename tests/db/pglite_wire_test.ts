/**
 * postgres.js's in-process connection to PGlite (lib/db/pglite_wire.ts): pipelined statements and
 * large answers arrive whole and in order, notifications arrive, a connection that dies inside a
 * transaction leaves no transaction behind, a cancel request or an SSL request does not disturb the
 * session, and a closed database fails connections instead of hanging them.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { type EmbeddedServer, startEmbedded } from "../../lib/db/embedded.ts";
import { isConnectionError } from "../../lib/db/errors.ts";
import type { PGliteWire } from "../../lib/db/pglite_wire.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";

/** A postgres.js pool over `server`'s wires, and every wire it was given. */
function connect(server: EmbeddedServer, onnotify?: (channel: string, payload: string) => void) {
  const wires: PGliteWire[] = [];
  const options = {
    socket: () => {
      const wire = server.connect();
      wires.push(wire);
      return wire;
    },
    ...(onnotify ? { onnotify } : {}),
  };
  const sql = postgres({ ...options, max: 1, ssl: false, onnotice: () => {}, connect_timeout: 5 });
  return { sql, wires };
}

/** The bytes a wire emits for `packet` before it closes or answers. */
function exchange(wire: PGliteWire, packet: Uint8Array): Promise<{ data: Uint8Array[]; closed: boolean }> {
  return new Promise((resolve) => {
    const data: Uint8Array[] = [];
    wire.on("data", (chunk: Uint8Array) => {
      data.push(chunk);
      resolve({ data, closed: false });
    });
    wire.on("close", () => resolve({ data, closed: true }));
    wire.write(packet);
  });
}

/** A start packet: length, then a request code, then `rest` 32-bit words. */
function packet(code: number, ...rest: number[]): Uint8Array {
  const bytes = new Uint8Array(8 + 4 * rest.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, bytes.length);
  view.setInt32(4, code);
  rest.forEach((word, i) => view.setInt32(8 + 4 * i, word));
  return bytes;
}

Deno.test({ name: "PGlite wire", sanitizeOps: false, sanitizeResources: false }, async (t) => {
  const dataDir = await freshDataDir();
  const server = await startEmbedded(dataDir);
  const notified: string[] = [];
  const { sql, wires } = connect(server, (channel, payload) => notified.push(`${channel}:${payload}`));
  try {
    await sql`create table wire_test (n int)`;

    await t.step("pipelined statements in one write come back whole and in order", async () => {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => sql`select ${i}::int as i, repeat('é', ${i}) as s`),
      );
      assert.deepEqual(answers.map((rows) => rows[0].i), Array.from({ length: 60 }, (_, i) => i));
      assert.equal(answers[59][0].s, "é".repeat(59));
      assert.equal(wires.length, 1, "one connection served all of it");
    });

    await t.step("an answer larger than PGlite's 1 MiB receive buffer arrives intact", async () => {
      const [row] = await sql`select repeat('ab', 1500000) as s, 7 as after`;
      assert.equal(row.s.length, 3_000_000);
      assert.equal(row.s.slice(-4), "abab");
      assert.equal(row.after, 7);
    });

    await t.step("a notification of the session reaches postgres.js before the commit's answer", async () => {
      await sql`listen wire_channel`;
      await sql.begin((tx) => tx`select pg_notify('wire_channel', 'hello')`);
      assert.deepEqual(notified, ["wire_channel:hello"]);
    });

    await t.step("a connection ended inside its transaction leaves no transaction behind", async () => {
      const other = connect(server);
      const inside = other.sql.begin(async (tx) => {
        await tx`insert into wire_test values (1)`;
        await other.sql.end({ timeout: 0 }); // postgres.js gives up on the connection mid-transaction
        await tx`insert into wire_test values (99)`;
      }).catch((error: unknown) => error);
      assert.ok(isConnectionError(await inside), "the transaction failed as a lost connection");
      await other.wires[0].closed;
      // The same PGlite session serves the next connection: had the transaction stayed open, its
      // row would be visible here, and this connection's own statements would run inside it.
      assert.deepEqual([...await sql`select count(*)::int as n from wire_test`], [{ n: 0 }]);
      await sql`insert into wire_test values (2)`;
      assert.deepEqual([...await sql`select n from wire_test`], [{ n: 2 }]);
    });

    await t.step("a cancel request is dropped without touching the session's open transaction", async () => {
      await sql.begin(async (tx) => {
        await tx`insert into wire_test values (3)`;
        const answer = await exchange(server.connect(), packet(80877102, 1234, 5678));
        assert.deepEqual(answer, { data: [], closed: true });
        await tx`insert into wire_test values (4)`;
      });
      assert.deepEqual((await sql`select n from wire_test order by n`).map((r) => r.n), [2, 3, 4]);
    });

    await t.step("an SSL request is answered N (no TLS), as by a server without it", async () => {
      const wire = server.connect();
      const answer = await exchange(wire, packet(80877103));
      assert.deepEqual(answer.data.map((d) => [...d]), [[0x4e]]);
      wire.destroy();
      await wire.closed;
    });

    await t.step("a closed database fails connections at once instead of hanging them", async () => {
      await server.close();
      const error = await sql`select 1`.catch((e: unknown) => e);
      assert.ok(isConnectionError(error), `a connection error, got ${error}`);
      assert.match(
        String(error),
        /the embedded database failed the connection: the embedded database is closed/,
      );
      assert.ok(wires.every((wire) => wire.readyState === "closed"));
    });
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
