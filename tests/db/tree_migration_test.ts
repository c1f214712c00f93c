/**
 * Migration 0004 turns conversations written through the previous schema (0001–0003: linear,
 * ordered by seq) into trees without loss: each message's parent is the message before it, the
 * leaf is the last one, and the store then reads and extends them as trees. Runs on PGlite and on
 * a real PostgreSQL.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startEmbedded } from "../../lib/db/embedded.ts";
import { loadMigrations, migrate } from "../../lib/db/migrate.ts";
import { createStore } from "../../lib/db/store.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";

const TREE_VERSION = 4;

/** Fills a database through the previous schema, migrates, and checks the trees. */
async function checkTreeMigration(sql: postgres.Sql): Promise<void> {
  const all = await loadMigrations();
  assert.deepEqual(await migrate(sql, all.filter((m) => m.version < TREE_VERSION)), [
    "0001_init",
    "0002_limits_and_streaming",
    "0003_activity_order",
  ]);
  // Rows as the previous code wrote them: seq from last_seq, gaps left by an old truncation.
  await sql`insert into owners (id) values ('old-owner'), ('other-owner')`;
  const [long] = await sql`
    insert into conversations (owner_id, title, title_source, last_seq) values ('old-owner', 'Long', 'auto', 7)
    returning id`;
  const [empty] = await sql`insert into conversations (owner_id) values ('old-owner') returning id`;
  const [other] = await sql`
    insert into conversations (owner_id, last_seq) values ('other-owner', 1) returning id`;
  const seqs = [1, 2, 3, 6, 7];
  const texts = ["question 1", "answer 1", "question 2", "answer 2 🎉", "question 3"];
  for (const [i, seq] of seqs.entries()) {
    await sql`
      insert into messages (conversation_id, seq, role, content, status, prompt_tokens, completion_tokens)
      values (${long.id}, ${seq}, ${i % 2 === 0 ? "user" : "assistant"}, ${texts[i]},
        ${i === 3 ? "stopped" : "complete"}, ${i % 2 === 1 ? 10 + i : null}, ${i % 2 === 1 ? i : null})`;
  }
  await sql`insert into messages (conversation_id, seq, role, content) values (${other.id}, 1, 'user', 'alone')`;
  const before = await sql`
    select id, conversation_id, seq, role, content, status, prompt_tokens, completion_tokens, created_at
    from messages order by conversation_id, seq`;

  assert.deepEqual(await migrate(sql, all), all.filter((m) => m.version >= TREE_VERSION).map((m) => m.name));

  // Nothing lost or changed.
  const after = await sql`
    select id, conversation_id, seq, role, content, status, prompt_tokens, completion_tokens, created_at
    from messages order by conversation_id, seq`;
  assert.deepEqual(after, before);
  // Parents chain in seq order; the leaf is the last message; an empty conversation has none.
  const rows = await sql`select id, parent_id from messages where conversation_id = ${long.id} order by seq`;
  assert.deepEqual(rows.map((r) => r.parent_id), [null, ...rows.slice(0, -1).map((r) => r.id)]);
  const leaves = await sql`select id, current_leaf_id from conversations`;
  const leafOf = new Map(leaves.map((r) => [r.id, r.current_leaf_id]));
  assert.equal(leafOf.get(long.id), rows.at(-1)!.id);
  assert.equal(leafOf.get(empty.id), null);

  // The store reads and extends them as trees.
  const store = createStore(sql, () => Promise.resolve());
  const conv = await store.getConversation("old-owner", long.id);
  assert.deepEqual(conv?.messages.map((m) => m.content), texts);
  assert.deepEqual(conv?.messages.map((m) => m.siblingIds.length), [1, 1, 1, 1, 1]);
  assert.deepEqual(conv?.messages[3].usage, { promptTokens: 13, completionTokens: 3 });
  const reply = await store.appendMessage("old-owner", long.id, { role: "assistant", content: "answer 3" });
  assert.equal(reply?.seq, 8, "positions continue after the old last_seq");
  assert.equal(reply?.parentId, rows.at(-1)!.id);
  const again = await store.appendMessage("old-owner", long.id, {
    role: "assistant",
    content: "answer 3, again",
    parentId: rows.at(-1)!.id,
  });
  const path = (await store.getConversation("old-owner", long.id))!.messages;
  assert.deepEqual(path.at(-1)?.siblingIds, [reply!.id, again!.id]);
  assert.deepEqual((await store.getConversation("old-owner", empty.id))?.messages, []);
  assert.deepEqual((await store.getConversation("other-owner", other.id))?.messages.map((m) => m.content), [
    "alone",
  ]);
}

Deno.test({
  name: "migration 0004 turns linear conversations into trees on PGlite",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "mini-claude-tree-mig-" });
  const server = await startEmbedded(dataDir);
  const wire = { socket: server.connect };
  const sql = postgres({
    ...wire,
    user: "postgres",
    database: "postgres",
    max: 1,
    ssl: false,
    onnotice: () => {},
  });
  try {
    await checkTreeMigration(sql);
  } finally {
    await sql.end();
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

const pgOk = requireSuite("db-postgres", postgresMissing());

Deno.test({
  name: "migration 0004 turns linear conversations into trees on PostgreSQL",
  ignore: !pgOk,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const cluster = await startPostgresCluster();
  const sql = postgres(cluster.url, { max: 2, onnotice: () => {} });
  try {
    await checkTreeMigration(sql);
  } finally {
    await sql.end();
    await cluster.destroy();
  }
});
