/**
 * Abandoned anonymous owners expire (`ANONYMOUS_RETENTION_DAYS`): the sweep at start deletes an
 * anonymous owner inactive past the retention with its conversations, keeps owners marked as
 * belonging to an account, and a returning session's requests record activity (so it is kept).
 */
import assert from "node:assert/strict";
import { openDatabase } from "../../lib/db/mod.ts";
import { markOwnerPermanent } from "../../lib/db/owner_expiry.ts";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  // Polls a condition; the bound only stops a broken test from hanging.
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "anonymous owners inactive past ANONYMOUS_RETENTION_DAYS are deleted at start; activity keeps them",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await freshDataDir();
    const db = await openDatabase({ dataDir });
    const conv = await db.createConversation("abandoned-session", { title: "old" });
    await db.appendMessage("abandoned-session", conv.id, { role: "user", content: "hello" });
    await db.createConversation("account-owner", { title: "mine" });
    await markOwnerPermanent(db.sql, "account-owner");
    await db.sql`update owners set last_active_at = now() - interval '31 days'`;
    await db.sql`update conversations set updated_at = now() - interval '31 days'`;
    await db.close();

    const server = await startTestServer({ DATA_DIR: dataDir, ANONYMOUS_RETENTION_DAYS: "30" });
    try {
      const { sql } = server.services.db;
      const owners = async () => (await sql`select id from owners order by id`).map((r) => r.id as string);
      await waitFor(async () => !(await owners()).includes("abandoned-session"), "the sweep at start");
      assert.deepEqual(await owners(), ["account-owner"]);
      const left = await sql`select count(*)::int as n from messages`;
      assert.equal(left[0].n, 0, "the abandoned owner's messages went with it");

      // A session that comes back records activity (throttled to once an hour per owner).
      const client = new ApiClient(server.url);
      const created = await client.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
      const [{ owner_id: me }] = await sql`select owner_id from conversations where id = ${created.body.id}`;
      await sql`update owners set last_active_at = now() - interval '40 days' where id = ${me}`;
      assert.equal((await client.json("/api/conversations")).status, 200);
      await waitFor(async () => {
        const [row] = await sql`select last_active_at > now() - interval '1 minute' as fresh from owners
          where id = ${me}`;
        return row.fresh === true;
      }, "the activity update");
    } finally {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
