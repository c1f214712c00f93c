/**
 * More than one machine: two app processes share one PostgreSQL server and one SESSION_SECRET.
 * A conversation created through one is read, continued (a streamed reply) and deleted through
 * the other; a rate limit used up on one holds on the other; and concurrent takes from two pools
 * grant a bucket exactly its capacity.
 */
import assert from "node:assert/strict";
import { openDatabase } from "../../lib/db/mod.ts";
import { PostgresRateLimiter } from "../../lib/security/rate_limit.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { readSse, tokenText } from "../_helpers/sse.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";
import { startChildApp } from "./_child_app.ts";

const ok = requireSuite("hardening-postgres", postgresMissing());
const KEY = "k-multi-1234567";

/** One browser: a cookie jar used against any instance. */
class Browser {
  cookie = "";
  async fetch(base: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
    const res = await fetch(base + path, { ...init, headers, body });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    return res;
  }
}

Deno.test({
  name: "two instances on one PostgreSQL: shared sessions, conversations and rate limits",
  ignore: !ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await startPostgresCluster();
    const stub = await startGeminiStub({ apiKey: KEY });
    const dataDirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const env = (i: number) => ({
      DATABASE_URL: cluster.url,
      DATA_DIR: dataDirs[i],
      SESSION_SECRET: "shared-secret-for-both-instances-0123456789",
      GEMINI_API_KEY: KEY,
      GEMINI_BASE_URL: stub.url,
      RATE_LIMIT_MESSAGES: "4/h",
    });
    const [a, b] = await Promise.all([startChildApp(env(0)), startChildApp(env(1))]);
    try {
      await t.step("create on A; read, continue and delete on B", async () => {
        const me = new Browser();
        const created = await me.fetch(a.url, "/api/conversations", {
          method: "POST",
          json: { title: "from A" },
        });
        assert.equal(created.status, 201);
        const { id } = await created.json();
        const onB = await me.fetch(b.url, `/api/conversations/${id}`);
        assert.equal(onB.status, 200);
        assert.equal(onB.headers.get("set-cookie"), null, "B accepts A's cookie as is");
        assert.equal((await onB.json()).title, "from A");
        const stream = await me.fetch(b.url, `/api/conversations/${id}/messages`, {
          method: "POST",
          json: { content: "continued on B" },
        });
        assert.equal(stream.status, 200);
        const events = await readSse(stream);
        assert.equal(tokenText(events), "Echo: continued on B");
        const onA = await (await me.fetch(a.url, `/api/conversations/${id}`)).json();
        assert.deepEqual(
          onA.messages.map((m: { content: string; status: string }) => [m.content, m.status]),
          [
            ["continued on B", "complete"],
            ["Echo: continued on B", "complete"],
          ],
        );
        const stranger = new Browser();
        assert.equal((await stranger.fetch(b.url, `/api/conversations/${id}`)).status, 404);
        assert.equal((await me.fetch(b.url, `/api/conversations/${id}`, { method: "DELETE" })).status, 204);
        assert.equal((await me.fetch(a.url, `/api/conversations/${id}`)).status, 404);
      });

      await t.step("a rate limit used up across A and B holds on both", async () => {
        const me = new Browser();
        const { id } = await (await me.fetch(a.url, "/api/conversations", { method: "POST", json: {} }))
          .json();
        const statuses: string[] = [];
        for (
          const [name, base] of [["A", a.url], ["B", b.url], ["A", a.url], ["B", b.url], ["A", a.url], [
            "B",
            b.url,
          ]]
        ) {
          const res = await me.fetch(base, `/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: "count me" },
          });
          statuses.push(`${name}${res.status}`);
          if (res.status === 429) assert.ok(Number(res.headers.get("retry-after")) > 0);
          await res.text();
        }
        assert.deepEqual(statuses, ["A200", "B200", "A200", "B200", "A429", "B429"]);
      });

      await t.step("concurrent takes from two pools grant exactly the capacity", async () => {
        const pools = await Promise.all(
          dataDirs.map((dataDir) => openDatabase({ databaseUrl: cluster.url, dataDir, poolMax: 8 })),
        );
        try {
          const limiters = pools.map((db) =>
            new PostgresRateLimiter(db.sql, {
              policies: { msg: { capacity: 17, refillPerSecond: 1 / 3600 } },
            })
          );
          const decisions = await Promise.all(
            Array.from(
              { length: 60 },
              (_, i) => limiters[i % 2].takeAll(["msg:race", "msg_ip:203.0.113.5"], 1),
            ),
          );
          assert.equal(decisions.filter((d) => d.allowed).length, 17);
          const [row] = await pools[0].sql`select tokens from rate_limits where key = 'msg:race'`;
          assert.ok(Math.abs(Number(row.tokens)) < 0.01, `bucket empty, got ${row.tokens}`);
        } finally {
          await Promise.all(pools.map((db) => db.close()));
        }
      });
    } finally {
      const codes = await Promise.all([a.stop(), b.stop()]);
      await stub.close();
      await cluster.destroy();
      for (const d of dataDirs) await Deno.remove(d, { recursive: true }).catch(() => {});
      assert.deepEqual(codes, [0, 0]);
    }
  },
});
