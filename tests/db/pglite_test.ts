/**
 * The store suite on embedded PGlite, then persistence across a close and reopen, the data-dir lock
 * and private files. One data directory for all of it: creating a PGlite cluster (initdb in WASM) is
 * the slow part. The connection itself (lib/db/pglite_wire.ts) has its own tests.
 */
import assert from "node:assert/strict";
import { type Database, openDatabase } from "../../lib/db/mod.ts";
import { startEmbedded } from "../../lib/db/embedded.ts";
import { runBudgetSuite } from "./budget_suite.ts";
import { runStoreSuite } from "./store_suite.ts";

Deno.test({ name: "store on PGlite", sanitizeOps: false, sanitizeResources: false }, async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "mini-claude-pglite-" });
  let db: Database | undefined;
  try {
    db = await openDatabase({ dataDir });
    assert.equal(db.engine, "pglite");
    await runStoreSuite(t, db);
    await runBudgetSuite(t, db);

    const open = db;
    await t.step("the data files are private to the OS user: directories 0700, files 0600", async () => {
      const modes = await collectModes(`${dataDir}/pglite`);
      assert.ok(modes.files > 100, `walked the cluster (${modes.files} files)`);
      assert.deepEqual(modes.wrong, []);
      assert.equal(Deno.statSync(`${dataDir}/pglite.lock`).mode! & 0o777, 0o600);
    });
    await t.step("a second open of the same data directory is refused while it is in use", async () => {
      await assert.rejects(openDatabase({ dataDir }), { code: "data_dir_locked" });
      await assert.rejects(startEmbedded(dataDir), { code: "data_dir_locked" });
      assert.equal((await open.ping()).ok, true, "the refused open did not disturb the running one");
    });

    await t.step("data survives a restart and migrations are not re-applied", async () => {
      const conv = await open.createConversation("owner-persist", { title: "kept across restarts" });
      await open.appendMessage("owner-persist", conv.id, { role: "user", content: "still here 🎉" });
      await open.close();
      db = undefined;
      assert.ok(Deno.statSync(`${dataDir}/pglite/PG_VERSION`).isFile);

      assert.deepEqual((await collectModes(`${dataDir}/pglite`)).wrong, [], "still private after close");
      db = await openDatabase({ dataDir });
      const got = await db.getConversation("owner-persist", conv.id);
      assert.equal(got?.title, "kept across restarts");
      assert.deepEqual(got?.messages.map((m) => m.content), ["still here 🎉"]);
      const applied = await db.sql`select count(*)::int as n from schema_migrations`;
      assert.equal(
        applied[0].n,
        (await import("../../lib/db/migrate.ts").then((m) => m.loadMigrations())).length,
      );
      assert.deepEqual(await db.migrate(), []);
      await db.close();
      db = undefined;
    });
  } finally {
    await db?.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** Files under `dir` and the paths whose mode is not 0700 (directories) or 0600 (files). */
async function collectModes(dir: string): Promise<{ files: number; wrong: string[] }> {
  const wrong: string[] = [];
  let files = 0;
  const walk = async (path: string) => {
    const info = await Deno.lstat(path);
    const mode = info.mode! & 0o777;
    if (info.isDirectory) {
      if (mode !== 0o700) wrong.push(`${path} ${mode.toString(8)}`);
      for await (const e of Deno.readDir(path)) await walk(`${path}/${e.name}`);
    } else if (info.isFile) {
      files++;
      if (mode !== 0o600) wrong.push(`${path} ${mode.toString(8)}`);
    }
  };
  await walk(dir);
  return { files, wrong };
}
