/**
 * Database overload on a real PostgreSQL with a tiny `max_connections`: while another client holds
 * every connection slot, the app's new connections fail with SQLSTATE 53300 (too_many_connections)
 * and every request needing the database is 503 with `Retry-After` (never 500), a refused reply
 * leaves no user message behind, and everything works again once the slots are free.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { readSse } from "../_helpers/sse.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";

const ok = requireSuite("hardening-postgres", postgresMissing());
const MAX_CONNECTIONS = 5;

Deno.test({
  name: "too many clients (53300): 503 with Retry-After, no orphan user message, recovery",
  ignore: !ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startPostgresCluster();
    const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`alter system set max_connections = ${MAX_CONNECTIONS}`);
    await admin`alter system set superuser_reserved_connections = 0`;
    await admin.end();
    await cluster.stop();
    await cluster.start();

    const stub = await startGeminiStub({ apiKey: "k-overload-1234" });
    const server = await startTestServer({
      DATABASE_URL: cluster.url,
      DATABASE_POOL_MAX: "2",
      GEMINI_API_KEY: "k-overload-1234",
      GEMINI_BASE_URL: stub.url,
    });
    // The hog holds every slot with one single-connection client per slot: a refused connection
    // rejects that client's query at once (a pool's reserve() can wait forever after one).
    const held: postgres.Sql[] = [];
    const pids: number[] = [];
    const release = () => Promise.all(held.splice(0).map((c) => c.end({ timeout: 1 }).catch(() => {})));
    try {
      const client = new ApiClient(server.url);
      const created = await client.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
      assert.equal(created.status, 201);
      const id = created.body.id;

      // Take every slot: drop the app's connections, then hold all the others. The app reconnects
      // (its LISTEN connection for live replies does so at once), so terminate whatever is not ours
      // again before each new connection until every slot is held.
      for (let attempt = 0; held.length < MAX_CONNECTIONS; attempt++) {
        assert.ok(attempt < 100, "could not take every connection slot");
        if (held.length > 0) {
          await held[0]`select pg_terminate_backend(pid) from pg_stat_activity
            where backend_type = 'client backend' and pid <> all(${pids}::int[])`;
        }
        const conn = postgres(cluster.url, { max: 1, onnotice: () => {}, idle_timeout: 0 });
        try {
          pids.push((await conn`select pg_backend_pid() as pid`)[0].pid);
          held.push(conn);
        } catch (error) {
          await conn.end({ timeout: 1 }).catch(() => {});
          if ((error as { code?: string }).code !== "53300") throw error;
        }
      }
      await assert.rejects(
        postgres(cluster.url, { max: 1, onnotice: () => {} })`select 1`,
        { code: "53300" },
        "the server refuses one more client",
      );

      // The store reports 53300 as database_unavailable (after at most the terminated connections).
      let cause: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        const error = await server.services.db.listConversations("anyone").then(() => null, (e) => e);
        assert.equal(error?.code, "database_unavailable");
        cause = error.cause;
        if ((cause as { code?: string })?.code === "53300") break;
      }
      assert.equal((cause as { code?: string })?.code, "53300");

      for (
        const [path, init] of [
          ["/api/conversations", {}],
          [`/api/conversations/${id}`, {}],
          ["/api/conversations", { method: "POST", json: {} }],
          [`/api/conversations/${id}/messages`, { method: "POST", json: { content: "hello?" } }],
          ["/api/usage", {}],
        ] as const
      ) {
        const res = await client.fetch(path, init);
        assert.equal(res.status, 503, `${init && "method" in init ? init.method : "GET"} ${path}`);
        assert.equal(res.headers.get("retry-after"), "5");
        assert.equal((await res.json()).error.code, "database_unavailable");
      }
      const health = await fetch(`${server.url}/api/health`);
      assert.equal(health.status, 503);
      assert.deepEqual(await health.json(), { status: "degraded" });

      await release();

      const events = await readSse(
        await client.fetch(`/api/conversations/${id}/messages`, {
          method: "POST",
          json: { content: "hello?" },
        }),
      );
      assert.equal(events.at(-1)!.event, "done");
      const conv =
        (await client.json<{ messages: { role: string; content: string }[] }>(`/api/conversations/${id}`))
          .body;
      assert.deepEqual(conv.messages.map((m) => [m.role, m.content]), [
        ["user", "hello?"],
        ["assistant", "Echo: hello?"],
      ], "the refused attempt left no user message; the later one has its reply");
    } finally {
      await release();
      await server.close();
      await stub.close();
      await cluster.destroy();
    }
  },
});
