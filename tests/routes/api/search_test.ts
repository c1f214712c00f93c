import assert from "node:assert/strict";
import { ApiClient } from "../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../../_helpers/postgres_cluster.ts";
import { requireSuite } from "../../_helpers/suites.ts";

type Segment = { text: string; mark: boolean };
type Hit = {
  conversationId: string;
  messageId: string | null;
  role: string | null;
  title: Segment[];
  snippet: Segment[];
  createdAt: string;
  archived: boolean;
  folderId: string | null;
};

const pgOk = requireSuite("search API on PostgreSQL", postgresMissing());

/** Creates a conversation through the API and stores `contents` as its messages (user, assistant, ...). */
async function seed(server: TestServer, client: ApiClient, title: string, contents: string[]) {
  const { body } = await client.json<{ id: string }>("/api/conversations", {
    method: "POST",
    json: { title },
  });
  const { db } = server.services;
  const [row] = await db.sql`select owner_id from conversations where id = ${body.id}`;
  const ids: string[] = [];
  for (const [i, content] of contents.entries()) {
    const m = await db.appendMessage(row.owner_id as string, body.id, {
      role: i % 2 === 0 ? "user" : "assistant",
      content,
    });
    ids.push(m!.id);
  }
  return { id: body.id, messageIds: ids };
}

for (const engine of ["pglite", "postgres"] as const) {
  Deno.test({
    name: `GET /api/search on ${engine}: snippets as text segments, per session, validated`,
    ignore: engine === "postgres" && !pgOk,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const cluster = engine === "postgres" ? await startPostgresCluster() : null;
      const server = await startTestServer(cluster ? { DATABASE_URL: cluster.url } : {});
      try {
        const alice = new ApiClient(server.url);
        const bob = new ApiClient(server.url);
        await alice.fetch("/").then((r) => r.body?.cancel());
        await bob.fetch("/").then((r) => r.body?.cancel());
        const trip = await seed(server, alice, "Trip to Lisbon", [
          "Plan a trip: <img src=x onerror=alert(1)> pastel de nata",
          "Day one: Alfama and pastéis.",
        ]);
        await seed(server, bob, "Bob's Lisbon notes", ["Lisbon trams"]);

        await t.step("results name the conversation and message with marked words", async () => {
          const { status, body } = await alice.json<{ query: string; results: Hit[] }>(
            "/api/search?q=" + encodeURIComponent("past"),
          );
          assert.equal(status, 200);
          assert.equal(body.query, "past");
          assert.equal(body.results.length, 2);
          const first = body.results.find((r) => r.messageId === trip.messageIds[0])!;
          assert.equal(first.conversationId, trip.id);
          assert.equal(first.role, "user");
          assert.deepEqual(first.snippet, [
            { text: "Plan a trip: <img src=x onerror=alert(1)> ", mark: false },
            { text: "pastel", mark: true },
            { text: " de nata", mark: false },
          ]);
          assert.deepEqual(first.title, [{ text: "Trip to Lisbon", mark: false }]);
          const second = body.results.find((r) => r.messageId === trip.messageIds[1])!;
          assert.deepEqual(second.snippet.filter((s) => s.mark).map((s) => s.text), ["pastéis"]);
        });

        await t.step("another session's conversations never appear", async () => {
          const a = await alice.json<{ results: Hit[] }>("/api/search?q=lisbon");
          assert.deepEqual(a.body.results.map((r) => [r.conversationId, r.messageId]), [[trip.id, null]]);
          const b = await bob.json<{ results: Hit[] }>("/api/search?q=pastel");
          assert.deepEqual(b.body.results, []);
        });

        await t.step("bad parameters are 400 with a clear message; empty q finds nothing", async () => {
          for (
            const [query, pattern] of [
              ["", /q: /],
              ["?q=x&limit=0", /limit/],
              ["?q=x&limit=abc", /limit/],
              ["?q=x&limit=51", /limit/],
              ["?q=" + "a".repeat(201), /q: q is longer than 200/],
              ["?q=a%00b", /NUL/],
            ] as const
          ) {
            const res = await alice.json<{ error: { code: string; message: string } }>(`/api/search${query}`);
            assert.equal(res.status, 400, query);
            assert.equal(res.body.error.code, "invalid_query");
            assert.match(res.body.error.message, pattern);
          }
          const empty = await alice.json<{ results: Hit[] }>("/api/search?q=%20");
          assert.deepEqual([empty.status, empty.body.results], [200, []]);
          const limited = await alice.json<{ results: Hit[] }>("/api/search?q=trip&limit=1");
          assert.equal(limited.body.results.length, 1);
        });
      } finally {
        await server.close();
        await cluster?.destroy();
      }
    },
  });
}
