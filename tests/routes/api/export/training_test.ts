/**
 * `GET /api/export/training` through the real app (PGlite): the owner's conversations as ShareGPT, OpenAI
 * messages and Alpaca JSON Lines — the current branch only, complete replies only — and each file passes
 * `deno task validate-data`.
 */
import assert from "node:assert/strict";
import { allConversationIds } from "../../../../lib/transfer/training_export.ts";
import { runValidateData } from "../../../../tasks/validate_data.ts";
import { ApiClient } from "../../../_helpers/api_client.ts";
import { startTestServer } from "../../../_helpers/app_server.ts";

Deno.test({
  name: "training export: ShareGPT / OpenAI / Alpaca of the owner's conversations, valid for validate-data",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server = await startTestServer();
    try {
      const { db } = server.services;
      const alice = new ApiClient(server.url);
      const bob = new ApiClient(server.url);
      const create = async (client: ApiClient, json: Record<string, unknown> = {}) => {
        const res = await client.json<{ id: string }>("/api/conversations", { method: "POST", json });
        assert.equal(res.status, 201);
        return res.body.id;
      };
      const c1 = await create(alice, { systemPrompt: "Be kind." });
      const c2 = await create(alice);
      const c3 = await create(alice);
      const empty = await create(alice);
      const bobs = await create(bob);
      const [{ owner_id: owner }] = await db.sql`select owner_id from conversations where id = ${c1}`;
      const add = (c: string, role: "user" | "assistant", content: string, extra = {}) =>
        db.appendMessage(owner, c, { role, content, ...extra });
      // c1: two complete exchanges, then an unanswered question.
      await add(c1, "user", "Hi");
      await add(c1, "assistant", "Hello!");
      await add(c1, "user", "2+2?");
      await add(c1, "assistant", "4");
      await add(c1, "user", "thanks");
      // c2: a regenerated reply; the current branch holds the second version.
      const q = await add(c2, "user", "Capital of France?");
      await add(c2, "assistant", "Lyon");
      await add(c2, "assistant", "Paris", { parentId: q!.id });
      // c3: a complete exchange, then a stopped reply: the export ends before it.
      await add(c3, "user", "Count");
      await add(c3, "assistant", "1 2 3");
      await add(c3, "user", "More");
      await add(c3, "assistant", "4 5", { status: "stopped" });

      const lines = async (query: string, client = alice) => {
        const res = await client.fetch(`/api/export/training?${query}`);
        assert.equal(res.status, 200, await res.clone().text());
        assert.match(res.headers.get("content-type") ?? "", /^application\/jsonl/);
        assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="mini-claude-\w+-/);
        const text = await res.text();
        return { text, records: text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) };
      };

      await t.step("ShareGPT: every conversation, current branch, complete replies only", async () => {
        const { records } = await lines("format=sharegpt");
        assert.deepEqual(records, [
          {
            conversations: [
              { from: "system", value: "Be kind." },
              { from: "human", value: "Hi" },
              { from: "gpt", value: "Hello!" },
              { from: "human", value: "2+2?" },
              { from: "gpt", value: "4" },
            ],
          },
          {
            conversations: [{ from: "human", value: "Capital of France?" }, { from: "gpt", value: "Paris" }],
          },
          { conversations: [{ from: "human", value: "Count" }, { from: "gpt", value: "1 2 3" }] },
        ]);
      });

      await t.step("OpenAI messages of chosen conversations; Alpaca keeps each first exchange", async () => {
        const openai = await lines(`format=openai&ids=${c2},${empty}`);
        assert.deepEqual(openai.records, [{
          messages: [{ role: "user", content: "Capital of France?" }, {
            role: "assistant",
            content: "Paris",
          }],
        }]);
        const alpaca = await lines("format=alpaca");
        assert.deepEqual(alpaca.records, [
          { instruction: "Hi", input: "", output: "Hello!" },
          { instruction: "Capital of France?", input: "", output: "Paris" },
          { instruction: "Count", input: "", output: "1 2 3" },
        ]);
        // Bob has nothing to export.
        assert.equal((await lines("format=openai", bob)).text, "");
      });

      await t.step("each format passes deno task validate-data", async () => {
        for (const format of ["sharegpt", "openai", "alpaca"]) {
          const path = await Deno.makeTempFile({ suffix: ".jsonl" });
          await Deno.writeTextFile(path, (await lines(`format=${format}`)).text);
          let out = "";
          const code = await runValidateData([path, "--format", "json"], {
            stdout: (s) => out += s,
            stderr: (s) => out += s,
          });
          const report = JSON.parse(out);
          assert.equal(code, 0, `${format}: ${out}`);
          assert.deepEqual([report.records.total, report.records.valid], [3, 3], format);
          await Deno.remove(path);
        }
      });

      await t.step(
        "all conversations are read in keyset pages (page size 2: every id once, in creation order)",
        async () => {
          const ids = await Array.fromAsync(allConversationIds(db.sql, owner, 2));
          assert.deepEqual(ids, [c1, c2, c3, empty]);
        },
      );

      await t.step("bad queries are 400; another owner's id is 404", async () => {
        for (
          const [query, message] of [
            ["format=csv", /format: expected sharegpt, openai or alpaca/],
            ["", /format/],
            ["format=openai&ids=nope", /ids\.0: expected conversation ids/],
            ["format=openai&extra=1", /Unrecognized key/i],
          ] as const
        ) {
          const res = await alice.json<{ error: { code: string; message: string } }>(
            `/api/export/training?${query}`,
          );
          assert.equal(res.status, 400, query);
          assert.equal(res.body.error.code, "invalid_query");
          assert.match(res.body.error.message, message);
        }
        const res = await alice.json<{ error: { code: string } }>(
          `/api/export/training?format=openai&ids=${c1},${bobs}`,
        );
        assert.equal(res.status, 404);
        assert.equal(res.body.error.code, "not_found");
      });
    } finally {
      await server.close();
    }
  },
});
