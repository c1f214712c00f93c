/**
 * Export and import against real databases (PGlite and PostgreSQL): fixtures built from the
 * documented ChatGPT and open-webui formats, our own format round trip (tree included), idempotent
 * re-import, and bad files that import nothing.
 */
import assert from "node:assert/strict";
import { type Database, openDatabase } from "../../lib/db/mod.ts";
import { exportEverything } from "../../lib/transfer/export.ts";
import type { ExportedConversation } from "../../lib/transfer/format.ts";
import { sniffShape } from "../../lib/transfer/import/read.ts";
import { importFile, type ImportReport } from "../../lib/transfer/import/run.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";

const FIXTURES = new URL("../fixtures/import/", import.meta.url);
const pgOk = requireSuite("import/export on PostgreSQL", postgresMissing());

async function* chunked(bytes: Uint8Array, size = 97): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

/** Imports `bytes` for `owner`, feeding the parser small chunks (a value split across chunks). */
function importBytes(db: Database, owner: string, bytes: Uint8Array): Promise<ImportReport> {
  return importFile(db, owner, chunked(bytes), sniffShape(bytes.subarray(0, 64)));
}

const fixture = (name: string) => Deno.readFile(new URL(name, FIXTURES));

async function countOwned(db: Database, owner: string): Promise<[number, number]> {
  const [r] = await db.sql`
    select (select count(*)::int from conversations where owner_id = ${owner}) as c,
      (select count(*)::int from messages m join conversations c on c.id = m.conversation_id
        where c.owner_id = ${owner}) as m`;
  return [r.c as number, r.m as number];
}

async function exportText(db: Database, owner: string, pageSize = 2): Promise<string> {
  return await new Response(exportEverything(db, owner, { pageSize })).text();
}

function reasons(report: ImportReport): Record<string, number> {
  return Object.fromEntries(report.skipped.map((s) => [s.reason, s.count]));
}

for (const engine of ["pglite", "postgres"] as const) {
  Deno.test({
    name: `import and export on ${engine}`,
    ignore: engine === "postgres" && !pgOk,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const cluster = engine === "postgres" ? await startPostgresCluster() : null;
      const dataDir = cluster ? await Deno.makeTempDir() : await freshDataDir();
      const db = await openDatabase({ dataDir, databaseUrl: cluster?.url });
      try {
        const me = `chatgpt-${crypto.randomUUID()}`;
        await t.step(
          "ChatGPT: branches kept, hidden/system/tool/reasoning skipped and reported",
          async () => {
            const report = await importBytes(db, me, await fixture("chatgpt_conversations.json"));
            assert.deepEqual(report.sources, ["chatgpt"]);
            assert.deepEqual([report.imported, report.alreadyImported, report.messages], [2, 0, 9]);
            assert.deepEqual(reasons(report), {
              "hidden message": 2,
              "conversation without a mapping (corrupted entry)": 1,
              "image (its file is not in conversations.json; a placeholder is kept)": 1,
              "reasoning (thoughts)": 1,
              "reasoning (reasoning_recap)": 1,
              "assistant message addressed to a tool": 1,
              "tool message": 1,
            });
            assert.deepEqual(
              report.skipped.find((s) => s.reason.startsWith("conversation without"))?.examples,
              [
                "“Broken entry”",
              ],
            );
            const list = await db.listConversations(me, { limit: 10 });
            const reverse = list.find((c) => c.title === "Reverse a list")!;
            const conv = (await db.getConversation(me, reverse.id))!;
            assert.deepEqual(conv.messages.map((m) => [m.role, m.content]), [
              ["user", "How do I reverse a list in Python?"],
              ["assistant", "Call `xs.reverse()` to reverse in place."],
              ["user", "And without mutating <the> list & copying?"],
              ["assistant", "Use `list(reversed(xs))`."],
            ], "the current node's branch is shown");
            assert.equal(conv.messages[0].createdAt, "2024-05-29T16:26:40.500Z");
            assert.equal(conv.createdAt, "2024-05-29T16:26:40.500Z");
            const [doc] = await db.exportConversations(me, { ids: [reverse.id] });
            const byContent = (s: string) => doc.messages.find((m) => m.content.startsWith(s))!;
            const u1 = byContent("How do I");
            assert.deepEqual(
              doc.messages.filter((m) => m.parentId === u1.id).map((m) => m.content),
              ["Use `reversed()` or slicing: `xs[::-1]`.", "Call `xs.reverse()` to reverse in place."],
              "the regenerated reply is a sibling branch",
            );
            const image = byContent("[image]");
            assert.equal(image.content, "[image]\n\nWhat does this screenshot show?");
            const code = doc.messages.find((m) => m.content.startsWith("```python"))!;
            assert.equal(code.content, "```python\nxs = [1, 2, 3]\nprint(xs[::-1])\n```");
            assert.equal(code.parentId, image.id, "reasoning and tool nodes are bridged");
            const untitled = list.find((c) => c.title === "ChatGPT conversation 3")!;
            assert.equal(untitled.archived, true);
            const plain = (await db.getConversation(me, untitled.id))!;
            assert.deepEqual(plain.messages.map((m) => [m.content, m.status]), [
              ["hello with no times", "complete"],
              ["hi! times are null here", "stopped"],
            ]);
          },
        );

        await t.step("re-importing the same file adds nothing", async () => {
          const again = await importBytes(db, me, await fixture("chatgpt_conversations.json"));
          assert.deepEqual([again.imported, again.alreadyImported, again.messages], [0, 2, 0]);
          assert.deepEqual(await countOwned(db, me), [2, 9]);
        });

        await t.step("another owner importing the same file gets their own copy", async () => {
          const other = `chatgpt-other-${crypto.randomUUID()}`;
          const theirs = await importBytes(db, other, await fixture("chatgpt_conversations.json"));
          assert.equal(theirs.imported, 2);
          assert.deepEqual(await countOwned(db, me), [2, 9]);
          assert.deepEqual(await countOwned(db, other), [2, 9]);
        });

        await t.step("open-webui: history tree, current branch, system prompt, pinned", async () => {
          const me = `webui-${crypto.randomUUID()}`;
          const report = await importBytes(db, me, await fixture("open_webui_export.json"));
          assert.deepEqual(report.sources, ["open-webui"]);
          assert.deepEqual([report.imported, report.messages], [2, 5]);
          assert.deepEqual(reasons(report), { "system message": 1 });
          const list = await db.listConversations(me);
          const branches = list.find((c) => c.title === "Webui branches")!;
          assert.equal(branches.pinned, true);
          const conv = (await db.getConversation(me, branches.id))!;
          assert.equal(conv.systemPrompt, "Be terse.");
          assert.deepEqual(conv.messages.map((m) => m.content), ["Name a color", "Green."]);
          assert.equal(conv.createdAt, "2024-05-30T20:13:20.000Z");
          const linear = (await db.getConversation(me, list.find((c) => c.title === "Linear only")!.id))!;
          assert.deepEqual(linear.messages.map((m) => [m.role, m.content]), [["user", "one"], [
            "assistant",
            "two",
          ]]);
        });

        await t.step("bad or foreign files: a clear error and nothing imported", async () => {
          const me = `bad-${crypto.randomUUID()}`;
          for (
            const [name, code, pattern] of [
              ["truncated_chatgpt.json", "invalid_file", /ends in the middle|not valid JSON/],
              ["foreign_array.json", "unsupported_file", /No entry of this file/],
              ["foreign_object.json", "unsupported_file", /not a Mini-Claude export/],
              ["future_version.json", "unsupported_file", /version 2/],
            ] as const
          ) {
            await assert.rejects(importBytes(db, me, await fixture(name)), (e: Error & { code?: string }) => {
              assert.equal(e.code, code, name);
              assert.match(e.message, pattern, name);
              return true;
            });
            assert.deepEqual(await countOwned(db, me), [0, 0], `${name} imported nothing`);
          }
          assert.throws(() => sniffShape(new TextEncoder().encode("Hello")), { code: "unsupported_file" });
          assert.throws(() => sniffShape(new TextEncoder().encode("  \n")), { code: "invalid_file" });
        });

        await t.step(
          "own format: export, import elsewhere, export again: identical but for ids",
          async () => {
            const me = `roundtrip-${crypto.randomUUID()}`;
            const folder = await db.createFolder(me, {
              name: "Recipes",
              systemPrompt: "Be precise.",
              model: "m-1",
            });
            const c = await db.createConversation(me, { title: "Bread", folderId: folder.id });
            const u = await db.appendMessage(me, c.id, {
              role: "user",
              content: "Flour ratio? 🍞\n```\ncode <b>\n```",
            });
            const a1 = await db.appendMessage(me, c.id, {
              role: "assistant",
              content: "First answer",
              usage: { promptTokens: 12, completionTokens: 3 },
            });
            await db.appendMessage(me, c.id, {
              role: "assistant",
              content: "Second answer",
              parentId: u!.id,
            });
            await db.appendMessage(me, c.id, { role: "user", content: "Thanks", parentId: a1!.id });
            await db.appendMessage(me, c.id, { role: "assistant", content: "cut off", status: "stopped" });
            await db.updateConversation(me, c.id, { pinned: true, archived: true });
            await db.createConversation(me, { title: "Empty one" });
            const first = await exportText(db, me, 1);
            const other = `roundtrip-copy-${crypto.randomUUID()}`;
            const report = await importBytes(db, other, new TextEncoder().encode(first));
            assert.deepEqual([report.sources, report.imported, report.messages], [["mini-claude"], 2, 5]);
            const second = await exportText(db, other, 1);
            const normalize = (text: string) => {
              const doc = JSON.parse(text) as {
                folders: { id: string }[];
                conversations: ExportedConversation[];
              };
              const ids = new Map<string, string>();
              const id = (x: string | null) =>
                x === null ? null : ids.get(x) ?? ids.set(x, `#${ids.size}`).get(x)!;
              doc.conversations.sort((a, b) => a.title.localeCompare(b.title));
              return {
                folders: doc.folders.map((f) => ({ ...f, id: id(f.id), createdAt: "", updatedAt: "" })),
                conversations: doc.conversations.map((c) => ({
                  ...c,
                  id: id(c.id),
                  folderId: id(c.folderId),
                  currentLeafId: id(c.currentLeafId),
                  messages: c.messages.map((m) => ({ ...m, id: id(m.id), parentId: id(m.parentId) })),
                })),
              };
            };
            assert.deepEqual(normalize(second), normalize(first));
            const again = await importBytes(db, other, new TextEncoder().encode(first));
            assert.deepEqual([again.imported, again.alreadyImported], [0, 2]);
            const restore = await importBytes(db, me, new TextEncoder().encode(first));
            assert.deepEqual(
              [restore.imported, restore.alreadyImported],
              [0, 2],
              "the originals are still there",
            );
          },
        );

        await t.step("export streams every conversation once, whatever the page size", async () => {
          const me = `paging-${crypto.randomUUID()}`;
          for (let i = 0; i < 7; i++) await db.createConversation(me, { title: `c${i}` });
          for (const size of [1, 3, 7, 50]) {
            const doc = JSON.parse(await exportText(db, me, size));
            assert.equal(doc.format, "mini-claude.export");
            assert.equal(doc.version, 1);
            assert.equal(doc.conversations.length, 7);
            assert.equal(new Set(doc.conversations.map((c: { id: string }) => c.id)).size, 7);
          }
          const empty = JSON.parse(await exportText(db, `nobody-${crypto.randomUUID()}`));
          assert.deepEqual([empty.folders, empty.conversations], [[], []]);
        });
      } finally {
        await db.close();
        await cluster?.destroy();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}
