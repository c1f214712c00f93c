/**
 * Conversation store latency on both engines with 1,000 conversations and 100,000 messages in the
 * database: list an owner's 50 newest conversations, and load one 200-message conversation, each
 * through the same repository calls the API uses. Prints p50/p99 per engine and the PGlite/PostgreSQL
 * ratio measured in this run. The load walks the message tree (root → current leaf with each message's
 * sibling ids); "scan 200" is the plain `order by seq` read the linear schema used, so the tree/scan
 * ratio is the cost of the tree. "append (tree)" is `appendMessage` (a transaction: lock the
 * conversation, find the leaf, append under it) against "linear append", the single statement it was
 * before the tree. `deno task bench db` (`DB_BENCH_ITERATIONS=N` to change the 200 runs).
 */
import type { Database } from "../lib/db/mod.ts";
import { BenchDatabases } from "./_lib/databases.ts";

const CONVERSATIONS = 1_000;
const MESSAGES = 100_000;
const OWNERS = 10;
const ITERATIONS = Number(Deno.env.get("DB_BENCH_ITERATIONS") ?? 200);
const WARMUP = 20;

interface Seeded {
  owner: string;
  conversationId: string;
  /** Conversations of another owner that the append timings grow (tree append, linear baseline). */
  appendTo: { owner: string; tree: string; linear: string };
}

interface Result {
  engine: string;
  seedMs: number;
  list: number[];
  load: number[];
  scan: number[];
  append: number[];
  appendLinear: number[];
}

/** Seeds with set-based INSERT ... SELECT so seeding takes seconds, not minutes. */
async function seed(db: Database): Promise<Seeded> {
  const sql = db.sql;
  const perConversation = MESSAGES / CONVERSATIONS; // 100
  await sql.begin(async (tx) => {
    await tx`insert into owners (id) select 'bench-owner-' || g from generate_series(1, ${OWNERS}::int) g`;
    await tx`
      insert into conversations (owner_id, title, title_source, last_seq, created_at, updated_at)
      select 'bench-owner-' || ((g - 1) % ${OWNERS}::int + 1), 'Conversation ' || g, 'auto', ${perConversation}::int,
        now() - make_interval(mins => g), now() - make_interval(mins => g)
      from generate_series(1, ${CONVERSATIONS}::int) g`;
    await tx`
      insert into messages (conversation_id, seq, role, content, status, created_at, updated_at)
      select c.id, s, case when s % 2 = 1 then 'user' else 'assistant' end,
        repeat('lorem ipsum dolor sit amet ', 10) || s, 'complete',
        c.created_at + make_interval(secs => s), c.created_at + make_interval(secs => s)
      from conversations c cross join generate_series(1, ${perConversation}::int) s`;
    // One conversation of the listed owner grows to 200 messages; one other is emptied, keeping 100,000.
    const [target] = await tx`
      select id from conversations where owner_id = 'bench-owner-1' order by updated_at desc limit 1`;
    const [emptied] = await tx`
      select id from conversations where owner_id = 'bench-owner-2' order by updated_at limit 1`;
    await tx`delete from messages where conversation_id = ${emptied.id}`;
    await tx`
      insert into messages (conversation_id, seq, role, content, status)
      select ${target.id}::uuid, s, case when s % 2 = 1 then 'user' else 'assistant' end,
        repeat('lorem ipsum dolor sit amet ', 10) || s, 'complete'
      from generate_series(${perConversation + 1}::int, ${2 * perConversation}::int) s`;
    await tx`update conversations set last_seq = ${2 * perConversation}::int where id = ${target.id}`;
    // Linear conversations as trees, as migration 0004 does: parent = previous seq, leaf = last.
    await tx`
      update messages m set parent_id = p.prev
      from (select id, lag(id) over (partition by conversation_id order by seq) as prev from messages) p
      where m.id = p.id and p.prev is not null`;
    await tx`
      update conversations c set current_leaf_id = (
        select id from messages where conversation_id = c.id order by seq desc limit 1)`;
  });
  await sql`analyze`;
  const [counts] = await sql`
    select (select count(*)::int from conversations) as c, (select count(*)::int from messages) as m`;
  if (counts.c !== CONVERSATIONS || counts.m !== MESSAGES) {
    throw new Error(
      `seeded ${counts.c} conversations / ${counts.m} messages, expected ${CONVERSATIONS} / ${MESSAGES}`,
    );
  }
  const [target] = await sql`
    select c.id from conversations c where owner_id = 'bench-owner-1' order by updated_at desc limit 1`;
  const appendOwner = "bench-append";
  const tree = await db.createConversation(appendOwner, { title: "tree appends" });
  const linear = await db.createConversation(appendOwner, { title: "linear appends" });
  return {
    owner: "bench-owner-1",
    conversationId: target.id as string,
    appendTo: { owner: appendOwner, tree: tree.id, linear: linear.id },
  };
}

interface Target {
  engine: string;
  db: Database;
  seeded: Seeded;
  seedMs: number;
}

/**
 * Times both operations on every target, round-robin per iteration, so background load on this
 * shared machine hits all engines alike and the ratios stay meaningful.
 */
async function measureAll(targets: Target[]): Promise<Result[]> {
  const list = async ({ db, seeded }: Target) => {
    const rows = await db.listConversations(seeded.owner, { limit: 50 });
    if (rows.length !== 50) throw new Error(`listed ${rows.length} conversations`);
  };
  const load = async ({ db, seeded }: Target) => {
    const conv = await db.getConversation(seeded.owner, seeded.conversationId);
    if (conv?.messages.length !== 200) throw new Error(`loaded ${conv?.messages.length} messages`);
  };
  const scan = async ({ db, seeded }: Target) => {
    const rows = await db.sql`
      select * from messages where conversation_id = ${seeded.conversationId} order by seq`;
    if (rows.length !== 200) throw new Error(`scanned ${rows.length} messages`);
  };
  const text = "lorem ipsum dolor sit amet ".repeat(10);
  // What every send does now: a transaction that locks the conversation, finds the leaf, appends.
  const append = async ({ db, seeded }: Target) => {
    const m = await db.appendMessage(seeded.appendTo.owner, seeded.appendTo.tree, {
      role: "user",
      content: text,
    });
    if (!m) throw new Error("append failed");
  };
  // The single statement appendMessage was before the tree (migration 0003's schema), as the baseline.
  const appendLinear = async ({ db, seeded }: Target) => {
    const rows = await db.sql`
      with c as (
        update conversations set last_seq = last_seq + 1, updated_at = now(),
          activity = nextval('conversation_activity_seq')
        where id = ${seeded.appendTo.linear} and owner_id = ${seeded.appendTo.owner}
        returning id, last_seq
      )
      insert into messages (conversation_id, seq, role, content, status)
      select id, last_seq, 'user', ${text}, 'complete' from c
      returning *`;
    if (rows.length !== 1) throw new Error("linear append failed");
  };
  const results = targets.map(({ engine, seedMs }) => ({
    engine,
    seedMs,
    list: [] as number[],
    load: [] as number[],
    scan: [] as number[],
    append: [] as number[],
    appendLinear: [] as number[],
  }));
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const [k, target] of targets.entries()) {
      const r = results[k];
      const ops = [
        [list, r.list],
        [load, r.load],
        [scan, r.scan],
        [append, r.append],
        [appendLinear, r.appendLinear],
      ] as const;
      for (const [op, samples] of ops) {
        const t0 = performance.now();
        await op(target);
        if (i >= WARMUP) samples.push(performance.now() - t0);
      }
    }
  }
  return results;
}

async function seedTimed(db: Database): Promise<{ seeded: Seeded; seedMs: number }> {
  const t0 = performance.now();
  const seeded = await seed(db);
  return { seeded, seedMs: performance.now() - t0 };
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const f = (ms: number) => ms.toFixed(2);
const targets: Target[] = [];
const databases = new BenchDatabases();
let results: Result[] = [];
try {
  const embedded = await databases.embedded("mini-claude-bench-pglite-");
  targets.push({ engine: "PGlite (embedded, in process)", db: embedded, ...await seedTimed(embedded) });

  const pg = await databases.postgres();
  if (pg !== null) {
    const { cluster, db: server } = pg;
    const seededServer = await seedTimed(server);
    targets.push({ engine: `PostgreSQL ${cluster.version} (loopback TCP)`, db: server, ...seededServer });
    // Same data, unnamed statements: what a PgBouncer/Neon pooled URL gets.
    const pooled = await databases.server(`${cluster.url}?pgbouncer=true`);
    targets.push({
      engine: `PostgreSQL ${cluster.version}, prepare: false (pooler mode)`,
      db: pooled,
      seeded: seededServer.seeded,
      seedMs: NaN,
    });
  }
  results = await measureAll(targets);
} finally {
  await databases.close();
}

console.log(
  `${CONVERSATIONS.toLocaleString("en")} conversations, ${MESSAGES.toLocaleString("en")} messages ` +
    `(~280 bytes each), ${OWNERS} owners; ${ITERATIONS} timed runs after ${WARMUP} warm-up runs, ` +
    `engines interleaved round-robin.\n`,
);
console.log(
  "| engine | seed (s) | list 50 p50 (ms) | list 50 p99 (ms) | load 200 p50 (ms) | load 200 p99 (ms) " +
    "| scan 200 p50 (ms) | tree/scan p50 |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.engine} | ${Number.isNaN(r.seedMs) ? "(same data)" : (r.seedMs / 1000).toFixed(1)} | ${
      f(pct(r.list, 50))
    } | ${f(pct(r.list, 99))} | ` +
      `${f(pct(r.load, 50))} | ${f(pct(r.load, 99))} | ${f(pct(r.scan, 50))} | ` +
      `${(pct(r.load, 50) / pct(r.scan, 50)).toFixed(2)}x |`,
  );
}
console.log(
  "\n| engine | append (tree) p50 (ms) | append (tree) p99 (ms) | linear append p50 (ms) | tree/linear p50 |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.engine} | ${f(pct(r.append, 50))} | ${f(pct(r.append, 99))} | ${f(pct(r.appendLinear, 50))} | ` +
      `${(pct(r.append, 50) / pct(r.appendLinear, 50)).toFixed(2)}x |`,
  );
}
if (results.length >= 2) {
  const [a, b] = results;
  console.log(
    `\nPGlite / PostgreSQL p50 ratio: list ${(pct(a.list, 50) / pct(b.list, 50)).toFixed(2)}x, ` +
      `load ${(pct(a.load, 50) / pct(b.load, 50)).toFixed(2)}x`,
  );
}
if (results.length === 3) {
  const [, b, c] = results;
  console.log(
    `PostgreSQL prepare: false / prepared p50 ratio: list ${
      (pct(c.list, 50) / pct(b.list, 50)).toFixed(2)
    }x, ` +
      `load ${(pct(c.load, 50) / pct(b.load, 50)).toFixed(2)}x`,
  );
}
