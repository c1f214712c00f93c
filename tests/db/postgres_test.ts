/**
 * The store suite on a real PostgreSQL cluster (throwaway, loopback), plus outages: the server
 * stopping mid-run gives `database_unavailable` and the store recovers once it is back; a store
 * opened while the server is down migrates on the first call after it returns.
 */
import assert from "node:assert/strict";
import { type Database, DatabaseUnavailableError, openDatabase } from "../../lib/db/mod.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { runBudgetSuite } from "./budget_suite.ts";
import { runStoreSuite } from "./store_suite.ts";
import { loadMigrations } from "../../lib/db/migrate.ts";

const ok = requireSuite("db-postgres", postgresMissing());
const opts = { ignore: !ok, sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "store on PostgreSQL", ...opts }, async (t) => {
  const cluster = await startPostgresCluster();
  const dataDir = await Deno.makeTempDir({ prefix: "mini-claude-pg-unused-" });
  const open = (url: string) =>
    openDatabase({ databaseUrl: url, dataDir, connectTimeoutSeconds: 2, poolMax: 4 });
  try {
    const db = await open(cluster.url);
    try {
      assert.equal(db.engine, "postgres");
      const version = await db.sql`show server_version_num`;
      assert.equal(Math.floor(Number(version[0].server_version_num) / 10000), cluster.version);
      await runStoreSuite(t, db);
      await runBudgetSuite(t, db);

      await t.step("the whole suite again through a pooler-style URL (prepare: false)", async (t2) => {
        const pooled = await open(`${cluster.url}?pgbouncer=true`);
        try {
          assert.equal(pooled.sql.options.prepare, false);
          await runStoreSuite(t2, pooled);
        } finally {
          await pooled.close();
        }
      });

      await t.step("server stops mid-run: clear 503-class error, then recovery when it returns", async () => {
        const me = "owner-outage";
        const conv = await db.createConversation(me, { title: "before outage" });
        await cluster.stop();
        try {
          const failures = await Promise.allSettled([
            db.listConversations(me),
            db.getConversation(me, conv.id),
            db.appendMessage(me, conv.id, { role: "user", content: "lost?" }),
          ]);
          for (const failure of failures) {
            assert.equal(failure.status, "rejected");
            const reason = (failure as PromiseRejectedResult).reason;
            assert.ok(reason instanceof DatabaseUnavailableError, String(reason));
            assert.equal(reason.code, "database_unavailable");
          }
          const health = await db.ping();
          assert.equal(health.ok, false);
          assert.equal(health.engine, "postgres");
          assert.match(health.error ?? "", /unreachable/);
        } finally {
          await cluster.start();
        }
        // The first call after the restart must already succeed: no stale pooled connection is reused.
        const got = await db.getConversation(me, conv.id);
        assert.equal(got?.title, "before outage");
        assert.deepEqual(got?.messages, [], "the failed append wrote nothing");
        assert.equal((await db.ping()).ok, true);
      });

      await t.step("a store opened while the server is down migrates once it is back", async () => {
        await db.sql`create database late_start`;
        const lateUrl = cluster.url.replace(/\/postgres$/, "/late_start");
        await cluster.stop();
        let late: Database | undefined;
        try {
          late = await open(lateUrl);
          assert.equal((await late.ping()).ok, false);
          await assert.rejects(late.listConversations("someone"), { code: "database_unavailable" });
        } finally {
          await cluster.start();
        }
        try {
          const conv = await late!.createConversation("someone", { title: "after" });
          assert.deepEqual((await late.listConversations("someone")).map((c) => c.id), [conv.id]);
          const applied = await late.sql`select count(*)::int as n from schema_migrations`;
          assert.equal(applied[0].n, (await loadMigrations()).length);
        } finally {
          await late.close();
        }
      });
    } finally {
      await db.close();
    }

    await t.step("errors and health never contain the password", async () => {
      const secret = "s3cr3t-pa55word";
      const down = cluster.url.replace("postgres@", `postgres:${secret}@`).replace(
        `:${cluster.port}/`,
        `:${await closedPort()}/`,
      );
      const db = await open(down);
      try {
        const health = await db.ping();
        assert.equal(health.ok, false);
        assert.ok(!JSON.stringify(health).includes(secret));
        const error = await db.listConversations("x").then(() => null, (e: unknown) => e);
        assert.ok(error instanceof DatabaseUnavailableError);
        assert.ok(!error.message.includes(secret));
      } finally {
        await db.close();
      }
    });
  } finally {
    await cluster.destroy();
    await Deno.remove(dataDir, { recursive: true });
  }
});

async function closedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return await Promise.resolve(port);
}
