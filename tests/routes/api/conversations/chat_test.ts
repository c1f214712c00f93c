import assert from "node:assert/strict";
import { ApiClient } from "../../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { parseSse, readSse, tokenText } from "../../../_helpers/sse.ts";
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

/** Polls `fn` until it returns a value; `ms` only bounds a failing test, it is not a timing assertion. */
async function waitFor<T>(fn: () => Promise<T | null>, what: string, ms = 30_000): Promise<T> {
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
        "a client that disconnects mid-stream does not stop the reply: it is stored complete",
        async () => {
          stub.setOptions({ tokenDelayMs: 20 });
          const id = await newConversation(client);
          const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
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
            return msgs[1]?.status === "complete" ? msgs[1] : null;
          }, "the reply to be stored complete");
          assert.equal(stored.content, "Echo: " + words);
          stub.setOptions({ tokenDelayMs: 0 });
        },
      );

      await t.step(
        "reattach from an offset (Last-Event-ID or ?offset=) gets exactly the rest; Stop ends it stopped",
        async () => {
          stub.setOptions({ tokenDelayMs: 30 });
          const id = await newConversation(client);
          const words = Array.from({ length: 80 }, (_, i) => `é${i}😀`).join(" ");
          const res = await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: words },
          });
          const messageId = res.headers.get("x-message-id")!;
          assert.match(messageId, /^[0-9a-f-]{36}$/);
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          let raw = "";
          while ((raw.match(/event: token/g) ?? []).length < 5) raw += (await reader.read()).value ?? "";
          // Cut at the end of the last complete event.
          raw = raw.slice(0, raw.lastIndexOf("\n\n") + 2);
          await reader.cancel();
          const first = parseSse(raw);
          const firstText = tokenText(first);
          const lastId = [...raw.matchAll(/^id: (\d+)$/gm)].at(-1)![1];
          assert.equal(Number(lastId), [...firstText].length, "id = code points received");

          const path = `/api/conversations/${id}/messages/${messageId}/stream`;
          const byHeader = client.fetch(path, { headers: { "last-event-id": lastId } });
          const byQuery = client.fetch(`${path}?offset=${lastId}`);
          const [a, b] = await Promise.all([byHeader, byQuery]);
          assert.equal(a.status, 200);
          assert.equal(a.headers.get("content-type"), "text/event-stream; charset=utf-8");
          const [restA, restB] = await Promise.all([readSse(a), readSse(b)]);
          assert.equal(firstText + tokenText(restA), "Echo: " + words);
          assert.equal(firstText + tokenText(restB), "Echo: " + words);
          assert.equal(restA.at(-1)!.event, "done");
          assert.equal(restA.at(-1)!.data.status, "complete");

          // A finished reply answers its remaining text and its end at once.
          const again = await readSse(await client.fetch(`${path}?offset=6`));
          assert.equal(tokenText(again), words);
          assert.equal(again.at(-1)!.data.status, "complete");

          // Stop: the following stream ends `stopped`, the stored text is exactly what it received.
          const slow = await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: words },
          });
          const slowId = slow.headers.get("x-message-id")!;
          const follower = client.fetch(`/api/conversations/${id}/messages/${slowId}/stream`);
          const slowReader = slow.body!.pipeThrough(new TextDecoderStream()).getReader();
          let slowRaw = "";
          while ((slowRaw.match(/event: token/g) ?? []).length < 3) {
            slowRaw += (await slowReader.read()).value ?? "";
          }
          const stop = await client.json<{ status: string; stopRequested: boolean }>(
            `/api/conversations/${id}/messages/${slowId}/stop`,
            { method: "POST" },
          );
          assert.equal(stop.status, 200);
          assert.deepEqual([stop.body.status, stop.body.stopRequested], ["streaming", true]);
          while (true) {
            const { value, done } = await slowReader.read();
            if (done) break;
            slowRaw += value;
          }
          const followed = await readSse(await follower);
          const end = parseSse(slowRaw).at(-1)!;
          assert.deepEqual([end.event, end.data.status], ["done", "stopped"]);
          assert.deepEqual([followed.at(-1)!.event, followed.at(-1)!.data.status], ["done", "stopped"]);
          const msgs = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
          assert.equal(msgs[3].status, "stopped");
          assert.equal(msgs[3].content, tokenText(parseSse(slowRaw)));
          assert.equal(msgs[3].content, tokenText(followed));
          assert.ok(msgs[3].content.length < ("Echo: " + words).length, "stopped early");
          await waitFor(() => Promise.resolve(stub.activeStreams() === 0 ? true : null), "upstream closed");
          // Stopping a finished reply changes nothing.
          const late = await client.json<{ status: string; stopRequested: boolean }>(
            `/api/conversations/${id}/messages/${slowId}/stop`,
            { method: "POST" },
          );
          assert.deepEqual([late.body.status, late.body.stopRequested], ["stopped", false]);
          stub.setOptions({ tokenDelayMs: 0 });
        },
      );

      await t.step(
        "one session follows at most 16 replies at once per instance (429), closing one frees it",
        async () => {
          stub.setOptions({ tokenDelayMs: 50 });
          const id = await newConversation(client);
          const res = await client.fetch(`/api/conversations/${id}/messages`, {
            method: "POST",
            json: { content: Array.from({ length: 60 }, (_, i) => `f${i}`).join(" ") },
          });
          const path = `/api/conversations/${id}/messages/${res.headers.get("x-message-id")}/stream`;
          const open = [];
          for (let i = 0; i < 16; i++) {
            const follower = await client.fetch(path);
            assert.equal(follower.status, 200);
            open.push(follower);
          }
          const refused = await client.json<{ error: { code: string } }>(path);
          assert.equal(refused.status, 429);
          assert.equal(refused.body.error.code, "too_many_followers");
          await open.pop()!.body!.cancel();
          await waitFor(
            () => Promise.resolve(server.services.replies.following(sessionOf(client)) === 15 || null),
            "a slot",
          );
          const again = await client.fetch(path);
          assert.equal(again.status, 200);
          open.push(again);
          await client.fetch(`/api/conversations/${id}/messages/${res.headers.get("x-message-id")}/stop`, {
            method: "POST",
          }).then((r) => r.body?.cancel());
          await Promise.all([res, ...open].map((r) => r.text()));
          assert.equal(server.services.replies.following(sessionOf(client)), 0);
          stub.setOptions({ tokenDelayMs: 0 });
        },
      );

      await t.step("follow and stop: bad offsets are 400, other sessions and user messages 404", async () => {
        const id = await newConversation(client);
        const res = await client.fetch(`/api/conversations/${id}/messages`, {
          method: "POST",
          json: { content: "short" },
        });
        const messageId = res.headers.get("x-message-id")!;
        await readSse(res);
        const base = `/api/conversations/${id}/messages/${messageId}`;
        for (const offset of ["-1", "abc", "1.5", "99999999999"]) {
          const bad = await client.json<{ error: { code: string } }>(`${base}/stream?offset=${offset}`);
          assert.equal(bad.status, 400, offset);
          assert.equal(bad.body.error.code, "bad_offset");
        }
        const stranger = new ApiClient(server.url);
        assert.equal((await stranger.json(`${base}/stream`)).status, 404);
        assert.equal((await stranger.json(`${base}/stop`, { method: "POST" })).status, 404);
        const userId = (await client.json<Conv>(`/api/conversations/${id}`)).body.messages[0].id;
        assert.equal((await client.json(`/api/conversations/${id}/messages/${userId}/stream`)).status, 404);
        assert.equal(
          (await client.json(`/api/conversations/${id}/messages/${userId}/stop`, { method: "POST" })).status,
          404,
        );
        assert.equal((await client.json(`/api/conversations/${id}/messages/not-a-uuid/stream`)).status, 404);
        const other = await newConversation(client);
        assert.equal(
          (await client.json(`/api/conversations/${other}/messages/${messageId}/stream`)).status,
          404,
        );
      });
    } finally {
      await teardown();
    }
  },
});

/** The session id behind a client's cookie (the signed cookie's value part). */
function sessionOf(client: ApiClient): string {
  const cookie = (client as unknown as { cookie: string }).cookie;
  const value = cookie.split("=")[1];
  return value.slice(0, value.lastIndexOf("."));
}
