/**
 * What the cost limits add to a reply, on both engines: the daily-budget check (one select) and the
 * charge (one upsert) next to the rate-limit check every reply already pays (one upsert of two
 * buckets), sequentially, with the ratio measured in this run; and one expiry sweep over 10,000
 * anonymous owners (half of them idle past the retention, each with a conversation and 4 messages).
 * `deno task bench budget` (`BUDGET_BENCH_ITERATIONS=N`, default 1,000).
 */
import { type Database, openDatabase } from "../lib/db/mod.ts";
import { expireAnonymousOwners } from "../lib/db/owner_expiry.ts";
import { PostgresRateLimiter } from "../lib/security/rate_limit.ts";
import { TokenBudget } from "../lib/security/token_budget.ts";
import { postgresMissing, startPostgresCluster } from "../tests/_helpers/postgres_cluster.ts";
import { percentile, table } from "./_lib/load.ts";

const ITERATIONS = Number(Deno.env.get("BUDGET_BENCH_ITERATIONS") ?? 1000);
const OWNERS = 10_000;

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

async function measure(engine: string, db: Database): Promise<(string | number)[][]> {
  const owners = Array.from({ length: 100 }, (_, i) => `bench-budget-${i}`);
  for (const id of owners) await db.ensureOwner(id);
  const budget = new TokenBudget(db.sql, { dailyTokens: 1e12 });
  const limiter = new PostgresRateLimiter(db.sql, {
    policies: { msg: { capacity: 1e9, refillPerSecond: 1 }, msg_ip: { capacity: 1e9, refillPerSecond: 1 } },
  });
  const owner = (i: number) => owners[i % owners.length];
  // Warm-up of all three paths.
  await timeEach(50, (i) => budget.check(owner(i)));
  await timeEach(50, (i) => budget.charge(owner(i), 100));
  await timeEach(50, (i) => limiter.takeAll([`msg:${owner(i)}`, "msg_ip:10.0.0.1"], 1));
  const rate = await timeEach(ITERATIONS, (i) => limiter.takeAll([`msg:${owner(i)}`, "msg_ip:10.0.0.1"], 1));
  const check = await timeEach(ITERATIONS, (i) => budget.check(owner(i)));
  const charge = await timeEach(ITERATIONS, (i) => budget.charge(owner(i), 100));

  await db.sql`insert into owners (id, last_active_at)
    select 'bench-expiry-' || g, now() - make_interval(days => case when g % 2 = 0 then 100 else 1 end)
    from generate_series(1, ${OWNERS}::int) g`;
  await db.sql`insert into conversations (owner_id, title, last_seq, updated_at)
    select 'bench-expiry-' || g, 'c', 4, now() - make_interval(days => case when g % 2 = 0 then 100 else 1 end)
    from generate_series(1, ${OWNERS}::int) g`;
  await db.sql`insert into messages (conversation_id, seq, role, content)
    select c.id, s, 'user', 'hello there' from conversations c, generate_series(1, 4) s
    where c.owner_id like 'bench-expiry-%'`;
  const t0 = performance.now();
  const expired = await expireAnonymousOwners(db.sql, 30);
  const sweepMs = performance.now() - t0;

  const p50 = (xs: number[]) => percentile(xs, 50);
  return [
    [engine, "rate-limit check (existing, per reply)", p50(rate), percentile(rate, 99), 1],
    [engine, "budget check (per reply)", p50(check), percentile(check, 99), p50(check) / p50(rate)],
    [engine, "budget charge (per reply)", p50(charge), percentile(charge, 99), p50(charge) / p50(rate)],
    [
      engine,
      `expiry sweep: ${expired.length} of ${OWNERS} owners deleted with their rows`,
      sweepMs,
      sweepMs,
      "–",
    ],
  ];
}

const rows: (string | number)[][] = [];
{
  const dataDir = await Deno.makeTempDir({ prefix: "mc-bench-budget-" });
  const db = await openDatabase({ dataDir });
  try {
    rows.push(...await measure("PGlite", db));
  } finally {
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}
if (postgresMissing() === null) {
  const cluster = await startPostgresCluster();
  const dataDir = await Deno.makeTempDir({ prefix: "mc-bench-budget-" });
  const db = await openDatabase({ databaseUrl: cluster.url, dataDir, poolMax: 4 });
  try {
    rows.push(...await measure("PostgreSQL", db));
  } finally {
    await db.close();
    await cluster.destroy();
    await Deno.remove(dataDir, { recursive: true });
  }
} else console.log(`(PostgreSQL skipped: ${postgresMissing()})`);

console.log(
  `${ITERATIONS} sequential operations each, one session at a time; ratio = p50 / rate-limit p50\n`,
);
console.log(table(["engine", "operation", "p50 ms", "p99 ms", "ratio"], rows));
