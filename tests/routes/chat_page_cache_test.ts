/**
 * The chat pages are answered from the page cache only while nothing they show has changed: every
 * write (through the API, the store, or plain SQL as another instance or code path would do it)
 * shows on the next `GET /` and `GET /c/:id`, on both engines; on PostgreSQL also across two
 * instances of the app.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";

const pgOk = requireSuite("chat page cache on PostgreSQL", postgresMissing());

async function page(client: ApiClient, path: string): Promise<{ status: number; html: string }> {
  const res = await client.fetch(path);
  return { status: res.status, html: await res.text() };
}

for (const engine of ["pglite", "postgres"] as const) {
  Deno.test({
    name: `chat pages on ${engine}: reused while unchanged, every write shows on the next GET`,
    ignore: engine === "postgres" && !pgOk,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const cluster = engine === "postgres" ? await startPostgresCluster() : null;
      const server = await startTestServer(cluster ? { DATABASE_URL: cluster.url } : {});
      const { db, pages } = server.services;
      try {
        const alice = new ApiClient(server.url);
        const bob = new ApiClient(server.url);
        await page(alice, "/");
        await page(bob, "/");
        const { body: created } = await alice.json<{ id: string }>("/api/conversations", {
          method: "POST",
          json: { title: "Plans for Lisbon" },
        });
        const [{ owner_id: owner }] = await db
          .sql`select owner_id from conversations where id = ${created.id}`;

        await t.step("an unchanged page is answered from the cache, byte for byte", async () => {
          const first = await page(alice, "/");
          assert.match(first.html, /Plans for Lisbon/);
          const hits = pages.stats.hits;
          const second = await page(alice, "/");
          assert.equal(pages.stats.hits, hits + 1);
          assert.equal(second.html, first.html);
        });

        await t.step("another owner never gets it", async () => {
          const other = await page(bob, "/");
          assert.doesNotMatch(other.html, /Plans for Lisbon/);
          assert.equal((await page(bob, `/c/${created.id}`)).status, 404);
        });

        await t.step("a rename through the API shows at once", async () => {
          await alice.json(`/api/conversations/${created.id}`, {
            method: "PATCH",
            json: { title: "Lisbon trip" },
          });
          const after = await page(alice, "/");
          assert.match(after.html, /Lisbon trip/);
          assert.doesNotMatch(after.html, /Plans for Lisbon/);
        });

        await t.step("writes by plain SQL (another code path) show at once", async () => {
          await page(alice, "/");
          await db.sql`update conversations set title = 'Renamed elsewhere' where id = ${created.id}`;
          assert.match((await page(alice, "/")).html, /Renamed elsewhere/);
          await db.sql`update conversations set pinned = true where id = ${created.id}`;
          const pinned = await page(alice, "/");
          assert.match(pinned.html, /Renamed elsewhere/);
          assert.notEqual(pinned.html, (await page(alice, "/?q=nothing-matches")).html);
        });

        await t.step("messages appended and edited show on GET /c/:id", async () => {
          const path = `/c/${created.id}`;
          assert.doesNotMatch((await page(alice, path)).html, /pastel de nata/);
          const message = await db.appendMessage(owner as string, created.id, {
            role: "assistant",
            content: "Try a pastel de nata",
            status: "streaming",
          });
          assert.match((await page(alice, path)).html, /Try a pastel de nata/);
          await db.updateMessage(message!.id, {
            content: "Try a pastel de nata in Belém",
            status: "complete",
          });
          assert.match((await page(alice, path)).html, /in Belém/);
          await db.sql`update messages set content = 'Edited by SQL' where id = ${message!.id}`;
          assert.match((await page(alice, path)).html, /Edited by SQL/);
        });

        await t.step("folders show, and a deleted conversation is gone", async () => {
          await alice.json("/api/folders", { method: "POST", json: { name: "Travel folder" } });
          assert.match((await page(alice, "/")).html, /Travel folder/);
          await alice.fetch(`/api/conversations/${created.id}`, { method: "DELETE" });
          assert.doesNotMatch((await page(alice, "/")).html, /Renamed elsewhere/);
          assert.equal((await page(alice, `/c/${created.id}`)).status, 404);
        });

        await t.step("moving rows to another owner (a claim) changes both owners' pages", async () => {
          const { body: moved } = await bob.json<{ id: string }>("/api/conversations", {
            method: "POST",
            json: { title: "Bob's moving notes" },
          });
          assert.match((await page(bob, "/")).html, /Bob's moving notes|Bob&#39;s moving notes/);
          assert.doesNotMatch((await page(alice, "/")).html, /moving notes/);
          await db.sql`update conversations set owner_id = ${owner as string} where id = ${moved.id}`;
          assert.doesNotMatch((await page(bob, "/")).html, /moving notes/);
          assert.match((await page(alice, "/")).html, /moving notes/);
        });

        if (cluster) {
          await t.step("a write on one instance shows on the next GET of another", async () => {
            const second = await startTestServer({ DATABASE_URL: cluster.url, DATA_DIR: server.dataDir });
            try {
              const viaSecond = new ApiClient(second.url);
              (viaSecond as unknown as { cookie: string }).cookie =
                (alice as unknown as { cookie: string }).cookie;
              await page(viaSecond, "/");
              assert.doesNotMatch((await page(viaSecond, "/")).html, /Written on the first/);
              await alice.json("/api/conversations", {
                method: "POST",
                json: { title: "Written on the first" },
              });
              assert.match((await page(viaSecond, "/")).html, /Written on the first/);
            } finally {
              await second.close();
            }
          });
        }
      } finally {
        await server.close();
        await cluster?.destroy();
      }
    },
  });
}
