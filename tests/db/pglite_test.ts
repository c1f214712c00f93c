/** The store suite on embedded PGlite, plus persistence across a close and reopen. */
import assert from "node:assert/strict";
import { openDatabase } from "../../lib/db/mod.ts";
import { runStoreSuite } from "./store_suite.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "store on PGlite", ...opts }, async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "mini-claude-pglite-" });
  try {
    const db = await openDatabase({ dataDir });
    try {
      assert.equal(db.engine, "pglite");
      await runStoreSuite(t, db);
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({ name: "PGlite data survives a restart and migrations are not re-applied", ...opts }, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "mini-claude-pglite-" });
  try {
    const first = await openDatabase({ dataDir });
    const conv = await first.createConversation("owner-persist", { title: "kept across restarts" });
    await first.appendMessage("owner-persist", conv.id, { role: "user", content: "still here 🎉" });
    await first.close();
    assert.ok(Deno.statSync(`${dataDir}/pglite`).isDirectory);

    const second = await openDatabase({ dataDir });
    try {
      const got = await second.getConversation("owner-persist", conv.id);
      assert.equal(got?.title, "kept across restarts");
      assert.deepEqual(got?.messages.map((m) => m.content), ["still here 🎉"]);
      const applied = await second.sql`select count(*)::int as n from schema_migrations`;
      assert.equal(applied[0].n, 1);
      assert.deepEqual(await second.migrate(), []);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
