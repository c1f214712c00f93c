import assert from "node:assert/strict";
import { ApiClient } from "../../_helpers/api_client.ts";
import { startTestServer } from "../../_helpers/app_server.ts";

const FIXTURES = new URL("../../fixtures/import/", import.meta.url);
type Event = {
  type: string;
  bytes?: number;
  totalBytes?: number;
  report?: Record<string, unknown>;
  error?: { code: string; message: string };
};

async function upload(
  client: ApiClient,
  body: BodyInit,
): Promise<{ status: number; type: string; events: Event[]; error?: Event["error"] }> {
  const res = await client.fetch("/api/import", {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  if (res.status !== 200) {
    return {
      status: res.status,
      type: res.headers.get("content-type") ?? "",
      events: [],
      error: JSON.parse(text).error,
    };
  }
  return {
    status: 200,
    type: res.headers.get("content-type") ?? "",
    events: text.trim().split("\n").map((l) => JSON.parse(l)),
  };
}

Deno.test({
  name: "export and import over HTTP: downloads, NDJSON progress and report, clear errors, per session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server = await startTestServer({ MAX_IMPORT_BYTES: "20000" });
    try {
      const alice = new ApiClient(server.url);
      const bob = new ApiClient(server.url);
      await alice.fetch("/").then((r) => r.body?.cancel());
      await bob.fetch("/").then((r) => r.body?.cancel());

      await t.step("import a ChatGPT export: progress lines, then the report", async () => {
        const got = await upload(alice, await Deno.readFile(new URL("chatgpt_conversations.json", FIXTURES)));
        assert.equal(got.status, 200);
        assert.equal(got.type, "application/x-ndjson; charset=utf-8");
        const last = got.events.at(-1)!;
        assert.equal(last.type, "done");
        assert.equal(last.report?.imported, 2);
        const progress = got.events.filter((e) => e.type === "progress");
        assert.ok(progress.length >= 1);
        assert.equal(
          progress.at(-1)!.bytes,
          progress.at(-1)!.totalBytes,
          "the last progress line is the whole file",
        );
        const list = await alice.json<{ title: string }[]>("/api/conversations");
        assert.deepEqual(list.body.map((c) => c.title).sort(), ["ChatGPT conversation 3", "Reverse a list"]);
        assert.deepEqual(
          (await bob.json<unknown[]>("/api/conversations")).body,
          [],
          "another session sees none",
        );
      });

      await t.step("bad files: 400 before streaming, or an error line; nothing imported", async () => {
        const notJson = await upload(alice, await Deno.readFile(new URL("not_json.txt", FIXTURES)));
        assert.deepEqual([notJson.status, notJson.error?.code], [400, "unsupported_file"]);
        const empty = await upload(alice, "");
        assert.equal(empty.status, 400);
        const truncated = await upload(bob, await Deno.readFile(new URL("truncated_chatgpt.json", FIXTURES)));
        assert.equal(truncated.status, 200);
        assert.equal(truncated.events.at(-1)!.type, "error");
        assert.equal(truncated.events.at(-1)!.error?.code, "invalid_file");
        assert.deepEqual((await bob.json<unknown[]>("/api/conversations")).body, []);
        const big = await upload(bob, "[" + " ".repeat(30_000) + "]");
        assert.deepEqual([big.status, big.error?.code], [413, "body_too_large"]);
      });

      await t.step("export everything: a JSON download of this session's conversations only", async () => {
        await bob.json("/api/conversations", { method: "POST", json: { title: "Bob's only" } });
        const res = await alice.fetch("/api/export");
        assert.equal(res.status, 200);
        assert.match(
          res.headers.get("content-disposition") ?? "",
          /^attachment; filename="mini-claude-export-\d{4}-\d{2}-\d{2}\.json"$/,
        );
        const doc = await res.json();
        assert.deepEqual([doc.format, doc.version], ["mini-claude.export", 1]);
        assert.deepEqual(doc.conversations.map((c: { title: string }) => c.title).sort(), [
          "ChatGPT conversation 3",
          "Reverse a list",
        ]);
      });

      await t.step(
        "one conversation as Markdown (the shown branch) and as JSON; another session's is 404",
        async () => {
          const list = await alice.json<{ id: string; title: string }[]>("/api/conversations");
          const id = list.body.find((c) => c.title === "Reverse a list")!.id;
          const md = await alice.fetch(`/api/conversations/${id}/export?format=markdown`);
          assert.equal(md.headers.get("content-type"), "text/markdown; charset=utf-8");
          assert.equal(md.headers.get("content-disposition"), 'attachment; filename="reverse-a-list.md"');
          const text = await md.text();
          assert.match(text, /^# Reverse a list\n/);
          assert.ok(text.includes("## You\n\nAnd without mutating <the> list & copying?"));
          assert.ok(text.includes("3 messages on other branches not shown"));
          assert.ok(!text.includes("xs[::-1]`."), "the other branch is not in the Markdown");
          const json = await alice.fetch(`/api/conversations/${id}/export?format=json`);
          const doc = await json.json();
          assert.equal(doc.conversations.length, 1);
          assert.equal(doc.conversations[0].messages.length, 7);
          assert.equal((await bob.fetch(`/api/conversations/${id}/export`)).status, 404);
          assert.equal((await alice.fetch(`/api/conversations/${id}/export?format=pdf`)).status, 400);
        },
      );

      await t.step("our own export imports back into another session", async () => {
        const exported = await (await alice.fetch("/api/export")).text();
        const got = await upload(bob, exported);
        assert.equal(got.events.at(-1)!.type, "done");
        assert.equal(got.events.at(-1)!.report?.imported, 2);
        const list = await bob.json<{ title: string }[]>("/api/conversations");
        assert.equal(list.body.length, 3);
      });
    } finally {
      await server.close();
    }
  },
});
