/**
 * The database going away during a stream (a real PostgreSQL server, stopped and started again):
 * the stream keeps going, health says 503/degraded, requests needing the database get 503 with
 * Retry-After, and once the server is back the reply is stored complete after the user message.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { parseSse } from "../_helpers/sse.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { startGeminiStub, stubReplyText } from "../stubs/gemini_server.ts";

const ok = requireSuite("hardening-postgres", postgresMissing());
type Conv = { messages: { role: string; content: string; status: string }[] };

Deno.test({
  name: "database outage mid-stream: stream continues, health 503, reply stored after recovery",
  ignore: !ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startPostgresCluster();
    const stub = await startGeminiStub({ apiKey: "k-outage-1234", tokenDelayMs: 60, replyTokens: 30 });
    const server = await startTestServer({
      DATABASE_URL: cluster.url,
      GEMINI_API_KEY: "k-outage-1234",
      GEMINI_BASE_URL: stub.url,
    });
    try {
      const client = new ApiClient(server.url);
      const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: {},
      });
      const res = await client.fetch(`/api/conversations/${conv.id}/messages`, {
        method: "POST",
        json: { content: "tell me about outages" },
      });
      assert.equal(res.status, 200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while ((text.match(/event: token/g) ?? []).length < 3) text += (await reader.read()).value ?? "";

      await cluster.stop();
      const health = await fetch(`${server.url}/api/health`);
      const report = await health.json();
      assert.equal(health.status, 503);
      assert.deepEqual(report, { status: "degraded" });
      const list = await client.fetch("/api/conversations");
      assert.equal(list.status, 503);
      assert.equal(list.headers.get("retry-after"), "5");
      assert.equal(((await list.json()) as { error: { code: string } }).error.code, "database_unavailable");
      const other = await client.fetch(`/api/conversations/${conv.id}/messages`, {
        method: "POST",
        json: { content: "while down" },
      });
      assert.equal(other.status, 503);
      await other.body?.cancel();
      // Tokens keep arriving while the database is away.
      const tokensBefore = (text.match(/event: token/g) ?? []).length;
      while ((text.match(/event: token/g) ?? []).length < tokensBefore + 2) {
        text += (await reader.read()).value ?? "";
      }
      await cluster.start();

      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      const events = parseSse(text);
      const expected = stubReplyText("tell me about outages", 30);
      assert.equal(events.filter((e) => e.event === "token").map((e) => e.data.text).join(""), expected);
      assert.equal(events.at(-1)!.event, "done", JSON.stringify(events.at(-1)));
      assert.equal(events.at(-1)!.data.status, "complete");

      const healthAfter = await fetch(`${server.url}/api/health`);
      assert.equal(healthAfter.status, 200);
      await healthAfter.body?.cancel();
      const stored = (await client.json<Conv>(`/api/conversations/${conv.id}`)).body.messages;
      assert.deepEqual(stored.map((m) => [m.role, m.content, m.status]), [
        ["user", "tell me about outages", "complete"],
        ["assistant", expected, "complete"],
      ]);
    } finally {
      await server.close();
      await stub.close();
      await cluster.destroy();
    }
  },
});
