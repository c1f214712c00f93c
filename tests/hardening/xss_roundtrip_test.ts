/**
 * The markdown/XSS payload corpus through the API: every payload is stored and returned byte-exact
 * inside JSON (as message content and system prompt; titles with whitespace collapsed), served as `application/json` with
 * `nosniff`. Escaping is the renderer's job (tests/markdown/xss_test.ts); the API must neither
 * mangle nor interpret. The one payload with a NUL character is refused with 400 (PostgreSQL text
 * cannot hold U+0000), and nothing of it is stored.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { XSS_CORPUS } from "../markdown/xss_corpus.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";

type Conv = {
  id: string;
  title: string;
  systemPrompt: string;
  messages: { role: string; content: string }[];
};

Deno.test({
  name: `XSS corpus (${XSS_CORPUS.length} payloads) round-trips byte-exact through the JSON API`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stub = await startGeminiStub({ apiKey: "k-xss-1234567" });
    const server = await startTestServer({
      GEMINI_API_KEY: "k-xss-1234567",
      GEMINI_BASE_URL: stub.url,
      RATE_LIMIT_MESSAGES: "off",
      RATE_LIMIT_CONVERSATIONS: "off",
      DAILY_TOKEN_BUDGET: "0",
      RATE_LIMIT_MESSAGES_IP: "off",
    });
    try {
      const client = new ApiClient(server.url);
      const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: {},
      });
      const sent: string[] = [];
      for (const payload of XSS_CORPUS) {
        const res = await client.fetch(`/api/conversations/${conv.id}/messages`, {
          method: "POST",
          json: { content: payload },
        });
        const text = await res.text();
        if (payload.includes("\u0000")) {
          assert.equal(res.status, 400, text);
          continue;
        }
        assert.equal(res.status, 200, `${JSON.stringify(payload)}: ${text}`);
        sent.push(payload);

        const other = await client.json<Conv>("/api/conversations", {
          method: "POST",
          json: { systemPrompt: payload, title: payload.trim() || "untitled" },
        });
        assert.equal(other.status, 201);
        const res2 = await client.fetch(`/api/conversations/${other.body.id}`);
        assert.equal(res2.headers.get("content-type")?.split(";")[0], "application/json");
        assert.equal(res2.headers.get("x-content-type-options"), "nosniff");
        const got = (await res2.json()) as Conv;
        assert.equal(got.systemPrompt, payload);
        // Titles are one line by design: whitespace runs collapse to one space; nothing else changes.
        assert.equal(got.title, payload.replace(/\s+/g, " ").trim() || "untitled");
        assert.equal(
          (await client.fetch(`/api/conversations/${other.body.id}`, { method: "DELETE" })).status,
          204,
        );
      }
      const res = await client.fetch(`/api/conversations/${conv.id}`);
      const raw = await res.text();
      const stored = (JSON.parse(raw) as Conv).messages.filter((m) => m.role === "user").map((m) =>
        m.content
      );
      assert.equal(stored.length, XSS_CORPUS.length - 1);
      assert.deepEqual(stored, sent);
      for (const [i, s] of stored.entries()) {
        assert.deepEqual(new TextEncoder().encode(s), new TextEncoder().encode(sent[i]), "byte-exact");
      }
    } finally {
      await server.close();
      await stub.close();
    }
  },
});
