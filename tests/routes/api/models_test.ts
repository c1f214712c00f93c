/**
 * `GET /api/models` and the model-id allowlist through the real app: Gemini (stub) and an
 * OpenAI-compatible server (stub) side by side, replies routed to the model a conversation names.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../../_helpers/api_client.ts";
import { startTestServer } from "../../_helpers/app_server.ts";
import { readSse, tokenText } from "../../_helpers/sse.ts";
import { startGeminiStub } from "../../stubs/gemini_server.ts";
import { startOpenAIStub } from "../../stubs/openai_server.ts";

type Listed = {
  default: string | null;
  models: { id: string; label: string; provider: string; accepts: string[] }[];
};

Deno.test({
  name: "models API: lists every provider's models, accepts only listed ids, routes replies",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const gemini = await startGeminiStub({ apiKey: "stub-key-123456" });
    const ollama = startOpenAIStub({ models: ["llama3.2:3b", "llava:7b"] });
    const server = await startTestServer({
      GEMINI_API_KEY: "stub-key-123456",
      GEMINI_BASE_URL: gemini.url,
      OPENAI_PROVIDERS: JSON.stringify([{ id: "ollama", label: "Ollama", baseUrl: ollama.url }]),
    });
    try {
      const client = new ApiClient(server.url);

      await t.step(
        "GET /api/models lists Gemini's and the OpenAI server's models, no URLs or keys",
        async () => {
          const res = await client.fetch("/api/models");
          assert.equal(res.status, 200);
          const text = await res.text();
          assert.doesNotMatch(text, /127\.0\.0\.1|stub-key/);
          const body = JSON.parse(text) as Listed;
          assert.equal(body.default, "gemini-2.5-flash");
          assert.deepEqual(body.models.map((m) => [m.id, m.provider, m.accepts.join("+")]), [
            ["gemini-2.5-flash", "gemini", "image+pdf"],
            ["gemini-2.5-pro", "gemini", "image+pdf"],
            ["gemini-2.5-flash-lite", "gemini", "image+pdf"],
            ["ollama:llama3.2:3b", "ollama", ""],
            ["ollama:llava:7b", "ollama", "image"],
          ]);
          assert.equal(body.models[3].label, "llama3.2:3b · Ollama");
          // Cached: a second listing does not ask the server again.
          await client.fetch("/api/models").then((r) => r.body?.cancel());
          assert.equal(ollama.requests.filter((r) => r.path === "/v1/models").length, 1);
        },
      );

      await t.step(
        "create and patch accept listed ids and refuse anything else with 400 unknown_model",
        async () => {
          const bad = await client.json<{ error: { code: string; message: string } }>("/api/conversations", {
            method: "POST",
            json: { model: "gpt-4o" },
          });
          assert.equal(bad.status, 400);
          assert.equal(bad.body.error.code, "unknown_model");
          assert.match(bad.body.error.message, /"gpt-4o" is not offered by this server/);
          const list = await client.json<unknown[]>("/api/conversations");
          assert.equal(list.body.length, 0, "nothing was created");

          const ok = await client.json<{ id: string; model: string }>("/api/conversations", {
            method: "POST",
            json: { model: "ollama:llama3.2:3b" },
          });
          assert.equal(ok.status, 201);
          assert.equal(ok.body.model, "ollama:llama3.2:3b");
          const patchBad = await client.json<{ error: { code: string } }>(
            `/api/conversations/${ok.body.id}`,
            {
              method: "PATCH",
              json: { model: "ollama:mistral" },
            },
          );
          assert.equal(patchBad.status, 400);
          assert.equal(patchBad.body.error.code, "unknown_model");
          const malformed = await client.json<{ error: { code: string } }>(
            `/api/conversations/${ok.body.id}`,
            {
              method: "PATCH",
              json: { model: "../../etc/passwd" },
            },
          );
          assert.equal(malformed.status, 400);
          const after = await client.json<{ model: string }>(`/api/conversations/${ok.body.id}`);
          assert.equal(after.body.model, "ollama:llama3.2:3b");
          // Folders hand their model to new conversations: the same allowlist applies.
          const folder = await client.json<{ error: { code: string } }>("/api/folders", {
            method: "POST",
            json: { name: "Local", model: "ollama:not-pulled" },
          });
          assert.equal(folder.status, 400);
          assert.equal(folder.body.error.code, "unknown_model");
          const good = await client.json<{ id: string; model: string }>("/api/folders", {
            method: "POST",
            json: { name: "Local", model: "ollama:llava:7b" },
          });
          assert.equal(good.status, 201);
          const patched = await client.json<{ error: { code: string } }>(`/api/folders/${good.body.id}`, {
            method: "PATCH",
            json: { model: "gpt-4o" },
          });
          assert.equal(patched.status, 400);
        },
      );

      await t.step("a reply goes to the conversation's model, with usage stored", async () => {
        const { body } = await client.json<{ id: string }>("/api/conversations", {
          method: "POST",
          json: { model: "ollama:llama3.2:3b" },
        });
        const res = await client.fetch(`/api/conversations/${body.id}/messages`, {
          method: "POST",
          json: { content: "hello local model" },
        });
        const events = await readSse(res);
        assert.equal(tokenText(events), "Echo: hello local model");
        const done = events.at(-1)!;
        assert.equal(done.event, "done");
        assert.deepEqual(done.data.usage, { promptTokens: 5, completionTokens: 4 });
        const chat = ollama.requests.filter((r) => r.path === "/v1/chat/completions");
        assert.equal((chat.at(-1)!.body as { model: string }).model, "llama3.2:3b");
        assert.equal(gemini.requests.filter((r) => r.action === "streamGenerateContent").length, 0);
        const stored = await client.json<{ messages: { content: string; usage: unknown }[] }>(
          `/api/conversations/${body.id}`,
        );
        assert.deepEqual(stored.body.messages[1].usage, { promptTokens: 5, completionTokens: 4 });

        // Switching the model routes the next reply to Gemini.
        await client.json(`/api/conversations/${body.id}`, {
          method: "PATCH",
          json: { model: "gemini-2.5-pro" },
        });
        const again = await readSse(
          await client.fetch(`/api/conversations/${body.id}/messages`, {
            method: "POST",
            json: { content: "and now?" },
          }),
        );
        assert.equal(tokenText(again), "Echo: and now?");
        assert.equal(
          gemini.requests.filter((r) => r.action === "streamGenerateContent").at(-1)!.model,
          "gemini-2.5-pro",
        );
      });

      await t.step("the OpenAI server's errors reach the client as typed SSE errors", async () => {
        const { body } = await client.json<{ id: string }>("/api/conversations", {
          method: "POST",
          json: { model: "ollama:llama3.2:3b" },
        });
        const events = await readSse(
          await client.fetch(`/api/conversations/${body.id}/messages`, {
            method: "POST",
            json: { content: "[[stub:context_length]] a long story" },
          }),
        );
        const error = events.at(-1)!;
        assert.equal(error.event, "error");
        assert.equal(error.data.code, "context_too_long");
      });
    } finally {
      await server.close();
      await ollama.close();
      await gemini.close();
    }
  },
});

Deno.test({
  name:
    "models API: the only OpenAI server is the default; a model no longer offered is a 400 that stores nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const ollama = startOpenAIStub({ models: ["llama3.2:3b"] });
    // No Gemini key and no local model: the OpenAI server is the only provider (and the default).
    const server = await startTestServer({ OPENAI_BASE_URL: ollama.url, OPENAI_MODEL: "llama3.2:3b" });
    try {
      const client = new ApiClient(server.url);
      const listed = await client.json<Listed>("/api/models");
      assert.equal(listed.body.default, "openai:llama3.2:3b");
      const { body } = await client.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
      const res = await client.fetch(`/api/conversations/${body.id}/messages`, {
        method: "POST",
        json: { content: "default model please" },
      });
      assert.equal(tokenText(await readSse(res)), "Echo: default model please");
      assert.equal((ollama.requests.at(-1)!.body as { model: string }).model, "llama3.2:3b");

      // A model stored by an older configuration, no longer offered: 400, and the message is not stored.
      await server.services.db.sql`UPDATE conversations SET model = 'openai:gone' WHERE id = ${body.id}`;
      const refused = await client.json<{ error: { code: string; message: string } }>(
        `/api/conversations/${body.id}/messages`,
        { method: "POST", json: { content: "are you there?" } },
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, "unknown_model");
      const stored = await client.json<{ messages: unknown[] }>(`/api/conversations/${body.id}`);
      assert.equal(stored.body.messages.length, 2);
    } finally {
      await server.close();
      await ollama.close();
    }
  },
});

Deno.test({
  name:
    "models API: the committed local model is listed next to Gemini, loads on first use, and refuses images",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const gemini = await startGeminiStub({ apiKey: "stub-key-123456" });
    const server = await startTestServer({
      GEMINI_API_KEY: "stub-key-123456",
      GEMINI_BASE_URL: gemini.url,
      LOCAL_MODEL_DIR: new URL("../../../models/local", import.meta.url).pathname,
    });
    try {
      const client = new ApiClient(server.url);
      const listed = await client.json<Listed>("/api/models");
      assert.equal(listed.body.default, "gemini-2.5-flash");
      assert.deepEqual(listed.body.models.at(-1), {
        id: "local-tiny",
        label: "Tiny local model",
        provider: "local",
        accepts: [],
      });
      const local = server.services.chat!.providers.find((p) => p.id === "local") as { started?: boolean };
      assert.equal(local.started, false, "not loaded while Gemini answers by default");

      const { body } = await client.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: { model: "local-tiny" },
      });
      const png = Uint8Array.from(
        atob(
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
        ),
        (c) => c.charCodeAt(0),
      );
      const up = await client.json<{ id: string }>("/api/attachments", {
        method: "POST",
        body: png,
        headers: { "content-type": "image/png" },
      });
      const refused = await client.json<{ error: { code: string; message: string } }>(
        `/api/conversations/${body.id}/messages`,
        { method: "POST", json: { content: "what is this?", attachmentIds: [up.body.id] } },
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, "attachments_unsupported");
      assert.match(refused.body.error.message, /^Tiny local model cannot read images\./);

      const events = await readSse(
        await client.fetch(`/api/conversations/${body.id}/messages`, {
          method: "POST",
          json: { content: 'Define the word "harbor".' },
        }),
      );
      assert.equal(events.at(-1)!.event, "done");
      assert.ok(tokenText(events).length > 0);
      assert.equal(local.started, true);
      assert.equal(gemini.requests.filter((r) => r.action === "streamGenerateContent").length, 0);
    } finally {
      await server.close();
      await gemini.close();
    }
  },
});
