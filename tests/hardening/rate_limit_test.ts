/**
 * Rate limits kept in PostgreSQL (here the embedded PGlite; the multi-instance test runs them on a
 * real server): token-bucket arithmetic, all-or-nothing takes over several keys, the sweep, the
 * `RATE_LIMIT_*` notation and the client-address key.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { type Database, openDatabase } from "../../lib/db/mod.ts";
import { sweepFullBuckets, takeBuckets } from "../../lib/db/rate_limits.ts";
import { clientIp, normalizeIp } from "../../lib/security/client_ip.ts";
import { parseRateSpec, PostgresRateLimiter } from "../../lib/security/rate_limit.ts";
import { StreamGate } from "../../lib/security/stream_gate.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";

async function withDb(fn: (db: Database) => Promise<void>) {
  const dataDir = await freshDataDir();
  const db = await openDatabase({ dataDir });
  try {
    await fn(db);
  } finally {
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test({
  name: "token buckets in PostgreSQL: burst, refusal with Retry-After, refill, all-or-nothing, sweep",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDb(async (db) => {
      const slow = { capacity: 3, refillPerSecond: 1 / 60 };
      const results = [];
      for (let i = 0; i < 4; i++) {
        results.push((await takeBuckets(db.sql, [{ key: "t:a", cost: 1, ...slow }]))[0]);
      }
      assert.deepEqual(results.map((r) => r.allowed), [true, true, true, false]);
      assert.deepEqual(results.slice(0, 3).map((r) => Math.round(r.tokens)), [2, 1, 0]);
      assert.ok(
        results[3].retryAfterSeconds >= 59 && results[3].retryAfterSeconds <= 60,
        String(results[3].retryAfterSeconds),
      );
      const row = await db.sql`select tokens, allowed from rate_limits where key = 't:a'`;
      assert.equal(row[0].allowed, false);
      assert.ok(Number(row[0].tokens) < 0.01, "a refusal charges nothing");

      // A cost above the capacity can never pass; it says when a full bucket would be there.
      const huge = await takeBuckets(db.sql, [{ key: "t:b", cost: 10, ...slow }]);
      assert.equal(huge[0].allowed, false);
      assert.equal(huge[0].retryAfterSeconds, 1);

      // Refill: 4 tokens per second. Draining 5 leaves too little for 5 more (1.25 s away), but
      // after 300 ms one token is back.
      const fast = { capacity: 5, refillPerSecond: 4 };
      assert.equal((await takeBuckets(db.sql, [{ key: "t:c", cost: 5, ...fast }]))[0].allowed, true);
      const early = (await takeBuckets(db.sql, [{ key: "t:c", cost: 5, ...fast }]))[0];
      assert.equal(early.allowed, false);
      assert.ok(
        early.retryAfterSeconds >= 1 && early.retryAfterSeconds <= 2,
        String(early.retryAfterSeconds),
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await takeBuckets(db.sql, [{ key: "t:c", cost: 1, ...fast }]))[0].allowed, true);

      // All-or-nothing: the session bucket has room, the IP bucket not -> refused, session refunded.
      const limiter = new PostgresRateLimiter(db.sql, {
        policies: {
          msg: { capacity: 5, refillPerSecond: 1 / 600 },
          msg_ip: { capacity: 2, refillPerSecond: 1 / 600 },
        },
      });
      const takes = [];
      for (let i = 0; i < 3; i++) takes.push(await limiter.takeAll([`msg:s${i}`, "msg_ip:10.0.0.1"], 1));
      assert.deepEqual(takes.map((d) => d.allowed), [true, true, false]);
      const s2 = await db.sql`select tokens from rate_limits where key = 'msg:s2'`;
      assert.ok(Math.abs(Number(s2[0].tokens) - 5) < 0.01, `refunded, got ${s2[0].tokens}`);
      // Concurrent takes on one bucket grant exactly its capacity.
      const burst = await Promise.all(
        Array.from({ length: 12 }, () => limiter.take("msg:concurrent", 1)),
      );
      assert.equal(burst.filter((d) => d.allowed).length, 5);

      // Unlimited prefixes never touch the table.
      const open = new PostgresRateLimiter(db.sql, { policies: { msg: null, msg_ip: null } });
      assert.equal((await open.takeAll(["msg:x", "msg_ip:1.2.3.4"], 1)).allowed, true);
      assert.equal((await db.sql`select count(*)::int as n from rate_limits where key = 'msg:x'`)[0].n, 0);

      // The sweep removes only buckets that are full again.
      await takeBuckets(db.sql, [{ key: "t:full", cost: 1, capacity: 1, refillPerSecond: 1000 }]);
      await new Promise((r) => setTimeout(r, 10));
      const before = (await db.sql`select count(*)::int as n from rate_limits`)[0].n;
      const swept = await sweepFullBuckets(db.sql);
      const keys = (await db.sql`select key from rate_limits`).map((r) => r.key);
      assert.ok(swept >= 1 && !keys.includes("t:full") && keys.includes("t:a"), `${before} ${swept} ${keys}`);
    }),
});

Deno.test({
  name: "with the database gone the limiter falls back to in-process buckets (still limiting)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Nothing listens on port 1: every query would fail; `ready` fails first anyway.
    const sql = postgres("postgres://nobody@127.0.0.1:1/none", { connect_timeout: 1, onnotice: () => {} });
    let fellBack = 0;
    const limiter = new PostgresRateLimiter(sql, {
      policies: { stt: { capacity: 2, refillPerSecond: 1 / 600 } },
      ready: () => Promise.reject(Object.assign(new Error("down"), { code: "ECONNREFUSED" })),
      onFallback: () => fellBack++,
    });
    const d = [];
    for (let i = 0; i < 3; i++) d.push(await limiter.take("stt:s", 1));
    assert.deepEqual(d.map((x) => x.allowed), [true, true, false]);
    assert.equal(fellBack, 3);
    await sql.end();
  },
});

Deno.test("RATE_LIMIT_* notation: count per window, or off", () => {
  assert.deepEqual(parseRateSpec("30/min"), { capacity: 30, refillPerSecond: 0.5 });
  assert.deepEqual(parseRateSpec(" 2 / s "), { capacity: 2, refillPerSecond: 2 });
  assert.deepEqual(parseRateSpec("360/h"), { capacity: 360, refillPerSecond: 0.1 });
  assert.equal(parseRateSpec("off"), null);
  for (const bad of ["30", "x/min", "30/day", "-1/min", "0/min", ""]) {
    assert.throws(() => parseRateSpec(bad), { code: "invalid_rate_spec" }, bad);
  }
});

Deno.test("client address: socket peer, trusted X-Forwarded-For hops, IPv6 by /64", () => {
  const req = (xff?: string) => new Request("http://x/", { headers: xff ? { "x-forwarded-for": xff } : {} });
  assert.equal(clientIp(req("6.6.6.6"), "10.0.0.2"), "10.0.0.2", "header ignored without trusted proxies");
  assert.equal(clientIp(req("6.6.6.6, 203.0.113.7"), "10.0.0.2", 1), "203.0.113.7", "rightmost entry");
  assert.equal(clientIp(req("6.6.6.6, 203.0.113.7, 10.0.0.9"), "10.0.0.2", 2), "203.0.113.7");
  assert.equal(clientIp(req(), "10.0.0.2", 1), "10.0.0.2", "no header: the peer");
  assert.equal(clientIp(req(), undefined), null);
  assert.equal(normalizeIp("2001:db8:abcd:12:1:2:3:4"), "2001:db8:abcd:12::/64");
  assert.equal(normalizeIp("[2001:DB8::1]"), "2001:db8:0:0::/64");
  assert.equal(normalizeIp("2001:db8:1:2::5%eth0"), "2001:db8:1:2::/64");
  assert.equal(normalizeIp("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(normalizeIp("::1"), "0:0:0:0::/64");
});

Deno.test("stream gate: at most N per key, released once, other keys independent", () => {
  const gate = new StreamGate(2);
  const a = gate.tryAcquire("s1")!;
  const b = gate.tryAcquire("s1")!;
  assert.equal(gate.tryAcquire("s1"), null);
  assert.ok(gate.tryAcquire("s2"));
  a();
  a();
  assert.equal(gate.active("s1"), 1);
  assert.ok(gate.tryAcquire("s1"));
  b();
  assert.equal(new StreamGate(0).tryAcquire("x") !== null, true);
});
