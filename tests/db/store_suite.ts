/**
 * The conversation-store behaviour every engine must show. `pglite_test.ts` and `postgres_test.ts`
 * run these steps against one shared database each.
 */
import assert from "node:assert/strict";
import type { Database } from "../../lib/db/mod.ts";
import { DEFAULT_TITLE, InvalidInputError } from "../../lib/db/mod.ts";
import { loadMigrations, migrate } from "../../lib/db/migrate.ts";
import { runFoldersSuite } from "./folders_suite.ts";
import { runSearchSuite } from "./search_suite.ts";
import { runTreeSteps } from "./tree_steps.ts";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MISSING_UUID = "00000000-0000-4000-8000-000000000000";

let counter = 0;
/** A fresh owner id per step, so steps never see each other's rows. */
function owner(label: string): string {
  return `owner-${label}-${++counter}-${crypto.randomUUID()}`;
}

async function count(
  db: Database,
  table: "messages" | "conversations",
  conversationId?: string,
): Promise<number> {
  const rows = conversationId === undefined
    ? await db.sql`select count(*)::int as n from ${db.sql(table)}`
    : table === "messages"
    ? await db.sql`select count(*)::int as n from messages where conversation_id = ${conversationId}`
    : await db.sql`select count(*)::int as n from conversations where id = ${conversationId}`;
  return rows[0].n as number;
}

/** Runs every store step against `db` inside test `t`. */
export async function runStoreSuite(t: Deno.TestContext, db: Database): Promise<void> {
  await t.step("migrations are recorded once and re-running them is a no-op", async () => {
    const files = await loadMigrations();
    const rows = await db.sql`select version, name from schema_migrations order by version`;
    assert.deepEqual(rows.map((r) => r.name), files.map((m) => m.name));
    assert.deepEqual(await db.migrate(), []);
    assert.deepEqual(await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]), [[], [], []]);
    const again = await db.sql`select count(*)::int as n from schema_migrations`;
    assert.equal(again[0].n, files.length);
  });

  await t.step("create, get, list, update and delete a conversation with API-shaped rows", async () => {
    const me = owner("crud");
    const created = await db.createConversation(me, { systemPrompt: "Be brief.", model: "gemini-x" });
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.title, DEFAULT_TITLE);
    assert.equal(created.titleSource, "default");
    assert.equal(created.systemPrompt, "Be brief.");
    assert.equal(created.model, "gemini-x");
    assert.match(created.createdAt, ISO);
    assert.match(created.updatedAt, ISO);

    const got = await db.getConversation(me, created.id);
    assert.deepEqual(got, { ...created, messages: [] });
    assert.deepEqual(await db.listConversations(me), [{
      id: created.id,
      title: created.title,
      createdAt: created.createdAt,
      updatedAt: created.updatedAt,
      folderId: null,
      pinned: false,
      archived: false,
    }]);

    const renamed = await db.updateConversation(me, created.id, {
      title: "  Trip\nplans  ",
      systemPrompt: "",
    });
    assert.ok(renamed);
    assert.equal(renamed.title, "Trip plans");
    assert.equal(renamed.titleSource, "custom");
    assert.equal(renamed.systemPrompt, "");
    assert.equal(renamed.model, "gemini-x", "omitted fields stay");
    assert.ok(renamed.updatedAt >= created.updatedAt);
    assert.deepEqual(
      await db.updateConversation(me, created.id, {}),
      renamed,
      "an empty patch changes nothing",
    );
    const noModel = await db.updateConversation(me, created.id, { model: null });
    assert.equal(noModel?.model, null);
    assert.equal(noModel?.title, "Trip plans");

    await assert.rejects(db.updateConversation(me, created.id, { title: "   " }), InvalidInputError);
    await assert.rejects(db.createConversation(me, { title: "x".repeat(201) }), { code: "invalid_input" });

    const titled = await db.createConversation(me, { title: "Given" });
    assert.equal(titled.titleSource, "custom");
    assert.equal(await db.deleteConversation(me, created.id), true);
    assert.equal(await db.deleteConversation(me, created.id), false);
    assert.equal(await db.getConversation(me, created.id), null);
    assert.deepEqual((await db.listConversations(me)).map((c) => c.id), [titled.id]);
  });

  await t.step("owner B never sees, changes or deletes owner A's rows", async () => {
    const a = owner("a");
    const b = owner("b");
    const conv = await db.createConversation(a, { title: "A's secret" });
    const msg = await db.appendMessage(a, conv.id, { role: "user", content: "private" });
    assert.ok(msg);
    await db.ensureOwner(b);

    assert.deepEqual(await db.listConversations(b), []);
    assert.equal(await db.getConversation(b, conv.id), null);
    assert.equal(await db.updateConversation(b, conv.id, { title: "pwned" }), null);
    assert.equal(await db.appendMessage(b, conv.id, { role: "user", content: "inject" }), null);
    assert.equal(await db.switchBranch(b, conv.id, msg.id), null);
    assert.equal(await db.listSiblings(b, conv.id, msg.id), null);
    assert.equal(await db.currentPath(b, conv.id), null);
    assert.equal(await db.transaction((tx) => tx.lockForReply(b, conv.id)), null);
    assert.equal(await db.deleteConversation(b, conv.id), false);

    const still = await db.getConversation(a, conv.id);
    assert.equal(still?.title, "A's secret");
    assert.deepEqual(still?.messages.map((m) => m.content), ["private"]);
  });

  await t.step("malformed or unknown ids read as not found, never as SQL errors", async () => {
    const me = owner("ids");
    const conv = await db.createConversation(me);
    for (const bad of ["", "nope", "1; drop table messages", `${conv.id}x`, MISSING_UUID]) {
      assert.equal(await db.getConversation(me, bad), null, bad);
      assert.equal(await db.updateConversation(me, bad, { title: "t" }), null, bad);
      assert.equal(await db.deleteConversation(me, bad), false, bad);
      assert.equal(await db.appendMessage(me, bad, { role: "user", content: "x" }), null, bad);
      assert.equal(await db.updateMessage(bad, { content: "x" }), null, bad);
      assert.equal(await db.switchBranch(me, conv.id, bad), null, bad);
      assert.equal(await db.listSiblings(me, conv.id, bad), null, bad);
      assert.equal(
        await db.appendMessage(me, conv.id, { role: "user", content: "x", parentId: bad }),
        null,
        bad,
      );
      assert.equal(await db.currentPath(me, bad), null, bad);
    }
    assert.deepEqual(await db.listConversations(""), []);
    assert.equal(await db.getConversation("x".repeat(201), conv.id), null);
    await assert.rejects(db.ensureOwner(""), { code: "invalid_input" });
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      db.appendMessage(me, conv.id, { role: "system" as any, content: "x" }),
      { code: "invalid_input" },
    );
  });

  await t.step("deleting a conversation deletes its messages", async () => {
    const me = owner("cascade");
    const conv = await db.createConversation(me);
    const other = await db.createConversation(me);
    for (let i = 0; i < 5; i++) await db.appendMessage(me, conv.id, { role: "user", content: `m${i}` });
    await db.appendMessage(me, other.id, { role: "user", content: "keep" });
    assert.equal(await count(db, "messages", conv.id), 5);
    assert.equal(await db.deleteConversation(me, conv.id), true);
    assert.equal(await count(db, "messages", conv.id), 0);
    assert.equal(await count(db, "messages", other.id), 1);
  });

  await t.step("messages keep insertion order; list is newest-updated first", async () => {
    const me = owner("order");
    const first = await db.createConversation(me, { title: "first" });
    await db.createConversation(me, { title: "second" });
    assert.deepEqual((await db.listConversations(me)).map((c) => c.title), ["second", "first"]);
    const contents = Array.from({ length: 12 }, (_, i) => `message ${i}`);
    for (const [i, content] of contents.entries()) {
      await db.appendMessage(me, first.id, { role: i % 2 === 0 ? "user" : "assistant", content });
    }
    const got = await db.getConversation(me, first.id);
    assert.deepEqual(got?.messages.map((m) => m.content), contents);
    assert.deepEqual(got?.messages.map((m) => m.seq), contents.map((_, i) => i + 1));
    assert.deepEqual(got?.messages.map((m) => m.role).slice(0, 2), ["user", "assistant"]);
    assert.deepEqual((await db.listConversations(me)).map((c) => c.title), ["first", "second"]);
    assert.deepEqual((await db.listConversations(me, { limit: 1 })).map((c) => c.title), ["first"]);
    const path = await db.currentPath(me, first.id);
    assert.deepEqual(path?.map((m) => m.content), contents);
  });

  await t.step("concurrent appends to one conversation get distinct, gap-free positions", async () => {
    const me = owner("concurrent");
    const conv = await db.createConversation(me);
    const n = 40;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => db.appendMessage(me, conv.id, { role: "user", content: `c${i}` })),
    );
    const seqs = results.map((m) => m!.seq).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i + 1));
    const got = await db.getConversation(me, conv.id);
    assert.equal(got?.messages.length, n);
    assert.deepEqual(got?.messages.map((m) => m.seq), seqs);
    // The stored order is the order positions were handed out: each content sits at its own seq.
    const bySeq = new Map(results.map((m) => [m!.seq, m!.content]));
    assert.deepEqual(got?.messages.map((m) => m.content), seqs.map((s) => bySeq.get(s)));
    // Each append went under the leaf the previous one set: one chain, no accidental branches.
    assert.deepEqual(
      got?.messages.map((m) => m.parentId),
      [null, ...got!.messages.slice(0, -1).map((m) => m.id)],
    );
  });

  await t.step("unicode, emoji and very long content round-trip byte-exact", async () => {
    const me = owner("unicode");
    const conv = await db.createConversation(me);
    const samples = [
      "héllo wörld — ñ ç ß ø",
      "emoji 😀👩‍👩‍👧‍👦🏳️‍🌈 flags 🇯🇵 and skin 👍🏽",
      "CJK 漢字かなカナ 한국어, RTL עברית العربية",
      "combining e\u0301 vs é, zero-width\u200bjoiner, BOM \ufeff, tab\tnewline\r\nend",
      "quotes ' \" \\ backslash $1 ${x} %s _%",
      "😀".repeat(50_000) + "x".repeat(300_000) + "é".repeat(100_000),
    ];
    const enc = new TextEncoder();
    for (const content of samples) {
      const msg = await db.appendMessage(me, conv.id, { role: "assistant", content });
      assert.ok(msg);
      assert.deepEqual(enc.encode(msg.content), enc.encode(content));
    }
    const got = await db.getConversation(me, conv.id);
    assert.deepEqual(got?.messages.map((m) => enc.encode(m.content)), samples.map((s) => enc.encode(s)));
    // PostgreSQL text cannot hold U+0000: refused as invalid input before reaching the server.
    await assert.rejects(db.appendMessage(me, conv.id, { role: "user", content: "a\u0000b" }), {
      code: "invalid_input",
    });
    await assert.rejects(db.updateMessage(got!.messages[0].id, { appendContent: "\u0000" }), {
      code: "invalid_input",
    });
    await assert.rejects(db.createConversation(me, { systemPrompt: "x\u0000" }), { code: "invalid_input" });
    assert.equal((await db.getConversation(me, conv.id))?.messages.length, samples.length);
    const octets = await db.sql`
      select octet_length(content)::int as n from messages where conversation_id = ${conv.id} order by seq`;
    assert.deepEqual(octets.map((r) => r.n), samples.map((s) => enc.encode(s).length));
  });

  await t.step("auto-title from the first user message until the user renames", async () => {
    const me = owner("title");
    const conv = await db.createConversation(me);
    await db.appendMessage(me, conv.id, { role: "assistant", content: "Hi! How can I help?" });
    assert.equal((await db.getConversation(me, conv.id))?.title, DEFAULT_TITLE);
    const long =
      "Plan a   three-day\nitinerary for Kyoto in autumn with temples, gardens and good vegetarian food";
    await db.appendMessage(me, conv.id, { role: "user", content: long });
    const titled = await db.getConversation(me, conv.id);
    assert.equal(titled?.title, "Plan a three-day itinerary for Kyoto in autumn with…");
    assert.equal(titled?.titleSource, "auto");
    await db.appendMessage(me, conv.id, { role: "user", content: "second question" });
    assert.equal((await db.getConversation(me, conv.id))?.title, titled?.title);

    await db.updateConversation(me, conv.id, { title: "Kyoto" });
    const fresh = await db.createConversation(me);
    await db.updateConversation(me, fresh.id, { title: "Mine" });
    await db.appendMessage(me, fresh.id, { role: "user", content: "would have been the title" });
    assert.equal((await db.getConversation(me, fresh.id))?.title, "Mine");
    assert.equal((await db.getConversation(me, conv.id))?.title, "Kyoto");
  });

  await t.step("streaming updates: append content, final status and usage", async () => {
    const me = owner("stream");
    const conv = await db.createConversation(me);
    const draft = await db.appendMessage(me, conv.id, {
      role: "assistant",
      content: "",
      status: "streaming",
    });
    assert.ok(draft);
    assert.equal(draft.usage, null);
    for (const piece of ["Hel", "lo ", "🌍"]) await db.updateMessage(draft.id, { appendContent: piece });
    const done = await db.updateMessage(draft.id, {
      status: "complete",
      usage: { promptTokens: 12, completionTokens: 3 },
    });
    assert.equal(done?.content, "Hello 🌍");
    assert.equal(done?.status, "complete");
    assert.deepEqual(done?.usage, { promptTokens: 12, completionTokens: 3 });
    const replaced = await db.updateMessage(draft.id, { content: "Bye", status: "stopped" });
    assert.equal(replaced?.content, "Bye");
    assert.deepEqual(replaced?.usage, { promptTokens: 12, completionTokens: 3 }, "usage kept when omitted");
    assert.equal(replaced?.seq, draft.seq);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(db.updateMessage(draft.id, { status: "done" as any }), { code: "invalid_input" });
    await assert.rejects(
      db.updateMessage(draft.id, { usage: { promptTokens: -1, completionTokens: 0 } }),
      { code: "invalid_input" },
    );
  });

  await runTreeSteps(t, db);

  await t.step("a failing transaction leaves no partial rows", async () => {
    const me = owner("tx");
    const before = await count(db, "conversations");
    const beforeMessages = await count(db, "messages");
    await assert.rejects(
      db.transaction(async (tx) => {
        const conv = await tx.createConversation(me, { title: "half" });
        await tx.appendMessage(me, conv.id, { role: "user", content: "one" });
        await tx.appendMessage(me, conv.id, { role: "assistant", content: "two" });
        throw new Error("model failed");
      }),
      /model failed/,
    );
    const kept = await db.createConversation(me, { title: "kept" });
    await assert.rejects(
      db.transaction(async (tx, sql) => {
        await tx.appendMessage(me, kept.id, { role: "user", content: "three" });
        await tx.updateConversation(me, kept.id, { title: "renamed in tx" });
        await sql`insert into messages (conversation_id, seq, role, content) values (${kept.id}, 99, 'robot', 'x')`;
      }),
      { code: "23514" },
    );
    assert.equal(await count(db, "conversations"), before + 1);
    assert.equal(await count(db, "messages"), beforeMessages);
    const after = await db.getConversation(me, kept.id);
    assert.equal(after?.title, "kept");
    assert.deepEqual(after?.messages, []);
    const ok = await db.transaction(async (tx) => {
      const conv = await tx.createConversation(me, { title: "whole" });
      await tx.appendMessage(me, conv.id, { role: "user", content: "hi" });
      return conv.id;
    });
    assert.equal((await db.getConversation(me, ok))?.messages.length, 1);
  });

  await t.step("title filter matches substrings case-insensitively and escapes LIKE wildcards", async () => {
    const me = owner("filter");
    for (const title of ["Kyoto trip", "kyoto FOOD", "Paris", "100% done", "snake_case"]) {
      await db.createConversation(me, { title });
    }
    const titles = async (query: string) =>
      (await db.listConversations(me, { query })).map((c) => c.title).sort();
    assert.deepEqual(await titles("KYOTO"), ["Kyoto trip", "kyoto FOOD"]);
    assert.deepEqual(await titles("%"), ["100% done"]);
    assert.deepEqual(await titles("_"), ["snake_case"]);
    assert.deepEqual(
      await titles("   "),
      ["100% done", "Kyoto trip", "Paris", "kyoto FOOD", "snake_case"].sort(),
    );
    await assert.rejects(db.listConversations(me, { limit: 0 }), { code: "invalid_input" });
  });

  await t.step("ping reports the engine and a latency", async () => {
    const health = await db.ping();
    assert.equal(health.ok, true);
    assert.equal(health.engine, db.engine);
    assert.ok(Number.isFinite(health.latencyMs) && health.latencyMs >= 0);
    assert.equal(health.error, undefined);
  });

  await t.step("a failing migration is rolled back whole and not recorded", async () => {
    const files = await loadMigrations();
    const broken = {
      version: 9001,
      name: "9001_broken",
      sql: "create table broken_a (x int);\nselect nope;",
    };
    await assert.rejects(migrate(db.sql, [...files, broken]), (e: Error & { code?: string }) => {
      assert.equal(e.code, "migration_failed");
      assert.match(e.message, /9001_broken/);
      return true;
    });
    const table = await db.sql`select to_regclass('broken_a') as t`;
    assert.equal(table[0].t, null);
    const recorded = await db.sql`select 1 from schema_migrations where version = 9001`;
    assert.equal(recorded.length, 0);
  });

  await t.step("concurrent starts apply a new migration exactly once", async () => {
    const files = await loadMigrations();
    const extra = {
      version: 9002,
      name: "9002_extra",
      sql: "create table extra_once (id int primary key);\ninsert into extra_once values (1);",
    };
    try {
      const runs = await Promise.all([1, 2, 3].map(() => migrate(db.sql, [...files, extra])));
      assert.deepEqual(runs.map((r) => r.length).sort(), [0, 0, 1]);
      assert.deepEqual(runs.flat(), ["9002_extra"]);
      const rows = await db.sql`select count(*)::int as n from extra_once`;
      assert.equal(rows[0].n, 1);
    } finally {
      await db.sql`drop table if exists extra_once`;
      await db.sql`delete from schema_migrations where version = 9002`;
    }
  });

  await runSearchSuite(t, db);
  await runFoldersSuite(t, db);
}
