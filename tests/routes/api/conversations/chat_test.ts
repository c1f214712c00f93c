import assert from "node:assert/strict";
import { ApiClient } from "../../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { readSse, tokenText } from "../../../_helpers/sse.ts";
import { type GeminiStub, startGeminiStub } from "../../../stubs/gemini_server.ts";

type Msg = {
  id: string;
  parentId: string | null;
  siblingIds: string[];
  role: string;
  content: string;
  status: string;
};
type Conv = { id: string; title: string; messages: Msg[] };

let stub: GeminiStub;
let server: TestServer;

async function setup() {
  stub = await startGeminiStub({ apiKey: "stub-key-123456" });
  server = await startTestServer({ GEMINI_API_KEY: "stub-key-123456", GEMINI_BASE_URL: stub.url });
}
async function teardown() {
  await server.close();
  await stub.close();
}

async function newConversation(client: ApiClient, json: Record<string, unknown> = {}): Promise<string> {
  return (await client.json<{ id: string }>("/api/conversations", { method: "POST", json })).body.id;
}

async function waitFor<T>(fn: () => Promise<T | null>, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "chat through the Gemini protocol: stream, persistence, regenerate, edit, faults, disconnect",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await setup();
    try {
      const client = new ApiClient(server.url);

      await t.step("tokens stream as SSE and the reply is stored complete with usage", async () => {
        const id = await newConversation(client, { systemPrompt: "Answer tersely." });
        const res = await client.fetch(`/api/conversations/${id}/messages`, {
          method: "POST",
          json: { content: "hello streaming world" },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
        const events = await readSse(res);
        assert.deepEqual(events.filter((e) => e.event === "token").map((e) => e.data.text), [
          "Echo:",
          " hello",
          " streaming",
          " world",
        ]);
        const done = events.at(-1)!;
        assert.equal(done.event, "done");
        assert.equal(done.data.status, "complete");
        const conv = (await client.json<Conv>(`/api/conversations/${id}`)).body;
        assert.equal(conv.title, "hello streaming world");
        assert.deepEqual(conv.messages.map((m) => [m.role, m.content, m.status]), [
          ["user", "hello streaming world", "complete"],
          ["assistant", "Echo: hello streaming world", "complete"],
        ]);
        assert.equal(conv.messages[1].id, done.data.messageId);
        const sent = stub.requests.at(-1)!.body as { systemInstruction?: { parts: { text: string }[] } };
        assert.equal(sent.systemInstruction?.parts[0].text, "Answer tersely.");
      });

      await t.step("history goes to the model; regenerate adds a version beside the last reply", async () => {
        const id = await newConversation(client);
        await readSse(
          await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: "first" },
          }),
        );
        await readSse(
          await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: "second" },
          }),
        );
        const contents =
          (stub.requests.at(-1)!.body as { contents: { role: string; parts: { text: string }[] }[] })
            .contents;
        assert.deepEqual(contents.map((c) => [c.role, c.parts[0].text]), [
          ["user", "first"],
          ["model", "Echo: first"],
          ["user", "second"],
        ]);
        const before = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
        const events = await readSse(
          await client.fetch(`/api/conversations/${id}/regenerate`, { method: "POST" }),
        );
        assert.equal(tokenText(events), "Echo: second");
        const after = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
        assert.equal(after.length, 4);
        assert.deepEqual(after.slice(0, 3).map((m) => m.id), before.slice(0, 3).map((m) => m.id));
        assert.notEqual(after[3].id, before[3].id);
        assert.equal(after[3].content, "Echo: second");
        assert.equal(after[3].parentId, before[2].id);
        assert.deepEqual(after[3].siblingIds, [before[3].id, after[3].id], "the first reply is kept");
      });

      await t.step("editing a user message adds a version and answers it; the original stays", async () => {
        const id = await newConversation(client);
        await readSse(
          await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: "one" },
          }),
        );
        await readSse(
          await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: "two" },
          }),
        );
        const msgs = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
        const events = await readSse(
          await client.fetch(`/api/conversations/${id}/edit`, {
            method: "POST",
            json: { messageId: msgs[0].id, content: "uno" },
          }),
        );
        assert.equal(tokenText(events), "Echo: uno");
        const after = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
        assert.deepEqual(after.map((m) => m.content), ["uno", "Echo: uno"]);
        assert.deepEqual(after[0].siblingIds, [msgs[0].id, after[0].id]);
        const wrong = await client.json(`/api/conversations/${id}/edit`, {
          method: "POST",
          json: { messageId: after[1].id, content: "x" },
        });
        assert.equal(wrong.status, 400);
      });

      await t.step("a stream cut mid-way keeps the text so far with status error", async () => {
        const id = await newConversation(client);
        const events = await readSse(
          await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: "alpha beta gamma delta [[stub:cut:3]]" },
          }),
        );
        assert.equal(tokenText(events), "Echo: alpha beta");
        const last = events.at(-1)!;
        assert.equal(last.event, "error");
        assert.equal(last.data.code, "stream_broken");
        const msgs = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
        assert.deepEqual(msgs.map((m) => [m.role, m.status]), [["user", "complete"], ["assistant", "error"]]);
        assert.equal(msgs[1].content, "Echo: alpha beta");
      });

      await t.step(
        "a safety block becomes a clear error event; a 500 before the first token is retried",
        async () => {
          const id = await newConversation(client);
          const blocked = await readSse(
            await client.fetch(`/api/conversations/${id}/messages`, {
              method: "POST",
              json: { content: "bad [[stub:safety_prompt]]" },
            }),
          );
          assert.equal(blocked.at(-1)!.data.code, "safety_blocked");
          stub.setFault({ kind: "server_error" }, { times: 1 });
          const other = await newConversation(client);
          const retried = await readSse(
            await client.fetch(`/api/conversations/${other}/messages`, {
              method: "POST",
              json: { content: "again" },
            }),
          );
          assert.equal(tokenText(retried), "Echo: again");
          assert.equal(retried.at(-1)!.event, "done");
        },
      );

      await t.step(
        "a client that disconnects mid-stream stops the model; the partial reply is stored as stopped",
        async () => {
          stub.setOptions({ tokenDelayMs: 40 });
          const id = await newConversation(client);
          const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ");
          const res = await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: words },
          });
          const reader = res.body!.getReader();
          let received = "";
          while (!received.includes(' w3"')) {
            received += new TextDecoder().decode((await reader.read()).value);
          }
          await reader.cancel();
          const stored = await waitFor(async () => {
            const msgs = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
            return msgs[1]?.status === "stopped" ? msgs[1] : null;
          }, "the reply to be stored as stopped");
          assert.match(stored.content, /^Echo: w0 w1 w2 w3/);
          assert.ok(stored.content.length < ("Echo: " + words).length, "the model was stopped early");
          await waitFor(
            () => Promise.resolve(stub.activeStreams() === 0 ? true : null),
            "the upstream stream to close",
          );
          stub.setOptions({ tokenDelayMs: 0 });
        },
      );
    } finally {
      await teardown();
    }
  },
});
