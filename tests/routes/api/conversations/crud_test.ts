import assert from "node:assert/strict";
import { ApiClient } from "../../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../../../_helpers/postgres_cluster.ts";
import { requireSuite } from "../../../_helpers/suites.ts";

type Conv = { id: string; title: string; systemPrompt: string; model: string | null; messages?: unknown[] };

async function withServer(fn: (server: TestServer) => Promise<void>, env: Record<string, string> = {}) {
  const server = await startTestServer(env);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const pgOk = requireSuite("conversation API on PostgreSQL", postgresMissing());

for (const engine of ["pglite", "postgres"] as const) {
  Deno.test({
    name: `conversation CRUD on ${engine}, scoped to the browser session`,
    ignore: engine === "postgres" && !pgOk,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const cluster = engine === "postgres" ? await startPostgresCluster() : null;
      try {
        // A Gemini key makes its (static) model list the allowlist; CRUD never calls the model.
        const gemini = { GEMINI_API_KEY: "crud-test-key", GEMINI_BASE_URL: "http://127.0.0.1:9" };
        await withServer(
          (server) => crudSteps(t, server),
          cluster ? { ...gemini, DATABASE_URL: cluster.url } : gemini,
        );
      } finally {
        await cluster?.destroy();
      }
    },
  });
}

async function crudSteps(t: Deno.TestContext, server: TestServer) {
  {
    const alice = new ApiClient(server.url);
    const bob = new ApiClient(server.url);
    await alice.fetch("/").then((r) => r.body?.cancel());
    await bob.fetch("/").then((r) => r.body?.cancel());

    let first: Conv;
    await t.step("create with defaults and with fields", async () => {
      const a = await alice.json<Conv>("/api/conversations", { method: "POST", json: {} });
      assert.equal(a.status, 201);
      first = a.body;
      assert.match(first.id, /^[0-9a-f-]{36}$/);
      assert.equal(first.title, "New conversation");
      const b = await alice.json<Conv>("/api/conversations", {
        method: "POST",
        json: { title: "Trip 🚀 plans", systemPrompt: "Be brief.", model: "gemini-2.5-pro" },
      });
      assert.equal(b.status, 201);
      assert.deepEqual([b.body.title, b.body.systemPrompt, b.body.model], [
        "Trip 🚀 plans",
        "Be brief.",
        "gemini-2.5-pro",
      ]);
    });

    await t.step("list newest first; filter by title", async () => {
      const list = await alice.json<Conv[]>("/api/conversations");
      assert.deepEqual(list.body.map((c) => c.title), ["Trip 🚀 plans", "New conversation"]);
      const filtered = await alice.json<Conv[]>("/api/conversations?q=trip");
      assert.deepEqual(filtered.body.map((c) => c.title), ["Trip 🚀 plans"]);
    });

    await t.step("get, rename, and another session gets 404 for all of it", async () => {
      const got = await alice.json<Conv>(`/api/conversations/${first.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body.messages, []);
      const renamed = await alice.json<Conv>(`/api/conversations/${first.id}`, {
        method: "PATCH",
        json: { title: "Renamed" },
      });
      assert.equal(renamed.body.title, "Renamed");
      for (const [method, json] of [["GET"], ["PATCH", { title: "hijack" }], ["DELETE"]] as const) {
        const res = await bob.json(`/api/conversations/${first.id}`, { method, json });
        assert.equal(res.status, 404, method);
        assert.deepEqual(res.body, { error: { code: "not_found", message: "Conversation not found" } });
      }
      const posted = await bob.fetch(`/api/conversations/${first.id}/messages`, {
        method: "POST",
        json: { content: "hi" },
      });
      assert.equal(posted.status, 404);
      await posted.body?.cancel();
      assert.deepEqual((await bob.json<Conv[]>("/api/conversations")).body, []);
      assert.equal((await alice.json<Conv>(`/api/conversations/${first.id}`)).body.title, "Renamed");
    });

    await t.step("bad input gets a 4xx with a clear message, never a 500", async () => {
      const cases: [string, RequestInit & { json?: unknown }, number, string][] = [
        [
          "/api/conversations",
          { method: "POST", body: "{not json", headers: { "content-type": "application/json" } },
          400,
          "invalid_json",
        ],
        ["/api/conversations", { method: "POST", json: { title: 42 } }, 400, "invalid_body"],
        ["/api/conversations", { method: "POST", json: { extra: true } }, 400, "invalid_body"],
        ["/api/conversations", { method: "POST", json: { title: "x".repeat(201) } }, 400, "invalid_body"],
        [
          "/api/conversations",
          {
            method: "POST",
            body: "title=x",
            headers: { "content-type": "application/x-www-form-urlencoded" },
          },
          415,
          "unsupported_media_type",
        ],
        [`/api/conversations/${first.id}`, { method: "PATCH", json: {} }, 400, "invalid_body"],
        ["/api/conversations/not-a-uuid", { method: "GET" }, 404, "not_found"],
        ["/api/conversations/00000000-0000-0000-0000-000000000000", { method: "DELETE" }, 404, "not_found"],
        [
          `/api/conversations/${first.id}/messages`,
          { method: "POST", json: { content: "   " } },
          400,
          "invalid_body",
        ],
        [
          `/api/conversations/${first.id}/messages`,
          { method: "POST", json: { content: "x".repeat(32_001) } },
          413,
          "message_too_long",
        ],
        ["/api/conversations", { method: "PUT", json: {} }, 405, "method_not_allowed"],
      ];
      for (const [path, init, status, code] of cases) {
        const res = await alice.json<{ error: { code: string; message: string } }>(path, init);
        assert.equal(
          res.status,
          status,
          `${init.method} ${path} ${JSON.stringify(init.json ?? init.body)?.slice(0, 40)}`,
        );
        assert.equal(res.body.error.code, code);
        assert.ok(res.body.error.message.length > 5);
      }
    });

    await t.step("delete removes the conversation", async () => {
      const del = await alice.fetch(`/api/conversations/${first.id}`, { method: "DELETE" });
      assert.equal(del.status, 204);
      assert.equal((await alice.json(`/api/conversations/${first.id}`)).status, 404);
      assert.deepEqual((await alice.json<Conv[]>("/api/conversations")).body.map((c) => c.title), [
        "Trip 🚀 plans",
      ]);
    });
  }
}

Deno.test("without a model, the user's message is still stored and the stream says how to configure one", async () => {
  await withServer(async (server) => {
    const client = new ApiClient(server.url);
    const conv = await client.json<Conv>("/api/conversations", { method: "POST", json: {} });
    const res = await client.fetch(`/api/conversations/${conv.body.id}/messages`, {
      method: "POST",
      json: { content: "Hello there" },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(
      text,
      /^event: error\ndata: \{"code":"model_unavailable","message":"No chat model is configured: set GEMINI_API_KEY/,
    );
    const got = await client.json<{ title: string; messages: { role: string; content: string }[] }>(
      `/api/conversations/${conv.body.id}`,
    );
    assert.deepEqual(got.body.messages.map((m) => [m.role, m.content]), [["user", "Hello there"]]);
    assert.equal(got.body.title, "Hello there");
  });
});
