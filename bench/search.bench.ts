/**
 * Full-text search latency at 100,000 messages owned by one person (the worst case: every message
 * is a candidate), on PGlite and PostgreSQL, through the same repository call `GET /api/search`
 * makes (rank, cut to 20, then snippets). Messages are 30 words drawn from a 20,000-word synthetic
 * vocabulary with a Zipf-like skew, so queries of every selectivity exist: the most common word (in
 * about two thirds of the messages), a mid-frequency word, two-letter and three-letter prefixes
 * (typing), two words, a rare word planted in 10 messages, and a miss. Seeding is one
 * `insert ... select generate_series` per table. `deno task bench search`
 * (`SEARCH_BENCH_ITERATIONS=N`, default 40 timed runs per query after 5 warm-up runs).
 */
import type { Database } from "../lib/db/mod.ts";
import { mulberry32 } from "../ml/random.ts";
import { BenchDatabases } from "./_lib/databases.ts";

const CONVERSATIONS = 1_000;
const MESSAGES = 100_000;
const WORDS_PER_MESSAGE = 30;
const VOCABULARY = 20_000;
const OWNER = "bench-search-owner";
const ITERATIONS = Number(Deno.env.get("SEARCH_BENCH_ITERATIONS") ?? 40);
const WARMUP = 5;

/** Distinct pronounceable words, most frequent first. */
function vocabulary(): string[] {
  const random = mulberry32(42);
  const onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr"];
  const vowels = ["a", "e", "i", "o", "u", "ai", "ou"];
  const words = new Set<string>();
  while (words.size < VOCABULARY) {
    const syllables = 2 + Math.floor(random() * 3);
    let w = "";
    for (let i = 0; i < syllables; i++) {
      w += onsets[Math.floor(random() * onsets.length)] + vowels[Math.floor(random() * vowels.length)];
    }
    if (w !== "zanzibar") words.add(w);
  }
  return [...words];
}

const WORDS = vocabulary();
const QUERIES: { label: string; q: string }[] = [
  { label: "most common word", q: WORDS[0] },
  { label: "mid-frequency word (rank 100)", q: WORDS[100] },
  { label: "2-letter prefix", q: WORDS[0].slice(0, 2) },
  { label: "3-letter prefix", q: WORDS[100].slice(0, 3) },
  { label: "two words", q: `${WORDS[5]} ${WORDS[50]}` },
  { label: "rare word (10 messages)", q: "zanzibar" },
  { label: "no match", q: "kubernetes" },
];

/** Seeds with set-based INSERT ... SELECT: word k of message g is a hash of (g, k), skewed to the head. */
async function seed(db: Database): Promise<Record<string, number>> {
  const sql = db.sql;
  await sql.begin(async (tx) => {
    await tx`insert into owners (id) values (${OWNER})`;
    await tx`
      insert into conversations (owner_id, title, title_source, last_seq, created_at, updated_at)
      select ${OWNER}, 'Conversation ' || g, 'auto', ${MESSAGES / CONVERSATIONS}::int,
        now() - make_interval(mins => g), now() - make_interval(mins => g)
      from generate_series(1, ${CONVERSATIONS}::int) g`;
    await tx`
      with vocab as (select ${WORDS}::text[] as w),
      numbered as (select id, row_number() over (order by id) - 1 as n from conversations where owner_id = ${OWNER})
      insert into messages (conversation_id, seq, role, content, status)
      select c.id, s, case when s % 2 = 1 then 'user' else 'assistant' end,
        (select string_agg(vocab.w[1 + floor(${VOCABULARY}::int * power(
          (((c.n * 100 + s) * 7919 + k * 104729) % 1000003)::float8 / 1000003, 3))::int], ' ')
          from vocab, generate_series(1, ${WORDS_PER_MESSAGE}::int) k)
          || case when (c.n * 100 + s) % 10000 = 7 then ' zanzibar' else '' end,
        'complete'
      from numbered c cross join generate_series(1, ${MESSAGES / CONVERSATIONS}::int) s`;
  });
  await sql`analyze`;
  const counts: Record<string, number> = {};
  for (const { label, q } of QUERIES) {
    const [row] = await sql`
      select count(*)::int as n from messages
      where search @@ to_tsquery('simple', ${q.split(" ").map((w) => `'${w}':*`).join(" & ")})`;
    counts[label] = row.n as number;
  }
  const [total] = await sql`select count(*)::int as n from messages`;
  if (total.n !== MESSAGES) throw new Error(`seeded ${total.n} messages, expected ${MESSAGES}`);
  return counts;
}

interface Target {
  engine: string;
  db: Database;
  seedMs: number;
  counts: Record<string, number>;
  samples: Map<string, number[]>;
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function addTarget(targets: Target[], engine: string, db: Database): Promise<void> {
  const t0 = performance.now();
  const counts = await seed(db);
  targets.push({ engine, db, seedMs: performance.now() - t0, counts, samples: new Map() });
}

const targets: Target[] = [];
const databases = new BenchDatabases();
try {
  await addTarget(targets, "PGlite", await databases.embedded("mini-claude-bench-search-"));
  const pg = await databases.postgres();
  if (pg !== null) await addTarget(targets, `PostgreSQL ${pg.cluster.version}`, pg.db);
  // Round-robin over engines and queries, so background load hits every cell alike.
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const target of targets) {
      for (const { label, q } of QUERIES) {
        const t0 = performance.now();
        const hits = await target.db.searchConversations(OWNER, q, { limit: 20 });
        const ms = performance.now() - t0;
        const expected = Math.min(20, target.counts[label]);
        if (hits.length !== expected) throw new Error(`${label}: ${hits.length} hits, expected ${expected}`);
        if (i >= WARMUP) {
          const list = target.samples.get(label) ?? [];
          list.push(ms);
          target.samples.set(label, list);
        }
      }
    }
  }
} finally {
  await databases.close();
}

console.log(
  `${
    MESSAGES.toLocaleString("en")
  } messages of ${WORDS_PER_MESSAGE} words in ${CONVERSATIONS} conversations, ` +
    `all one owner's; ${ITERATIONS} timed runs per query after ${WARMUP} warm-up runs; 20 results with snippets.\n`,
);
console.log(
  `| query | matching messages | ${targets.map((t) => `${t.engine} p50 / p99 (ms)`).join(" | ")} |`,
);
console.log(`| --- | ---: | ${targets.map(() => "---:").join(" | ")} |`);
for (const { label, q } of QUERIES) {
  const cells = targets.map((t) => {
    const s = t.samples.get(label)!;
    return `${pct(s, 50).toFixed(1)} / ${pct(s, 99).toFixed(1)}`;
  });
  console.log(
    `| ${label} (\`${q}\`) | ${targets[0].counts[label].toLocaleString("en")} | ${cells.join(" | ")} |`,
  );
}
console.log(`\nSeeding: ${targets.map((t) => `${t.engine} ${(t.seedMs / 1000).toFixed(1)} s`).join(", ")}.`);
if (targets.length === 2) {
  const all = (t: Target) => QUERIES.flatMap(({ label }) => t.samples.get(label)!);
  console.log(
    `PGlite / PostgreSQL p50 ratio over all queries: ${
      (pct(all(targets[0]), 50) / pct(all(targets[1]), 50)).toFixed(2)
    }x`,
  );
}
