/**
 * The limits through the whole app: replies, TTS and STT refused with 429 + Retry-After per
 * session and per IP (nothing stored, no model or voice call), and at most N streams per session.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { readSse } from "../_helpers/sse.ts";
import { silentMp3, startElevenLabsStub } from "../stubs/elevenlabs_server.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";

type Conv = { id: string; messages: { role: string; content: string; status: string }[] };
type ErrorBody = { error: { code: string; message: string } };

const KEY = "stub-key-123456";
const XI = "xi-limits-key-000000000000000001";

async function waitFor(fn: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name: "429 with Retry-After per session and per IP for replies, TTS and STT; streams capped per session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const gemini = await startGeminiStub({ apiKey: KEY });
    const voice = await startElevenLabsStub({ apiKey: XI, transcript: "hi" });
    const server = await startTestServer({
      GEMINI_API_KEY: KEY,
      GEMINI_BASE_URL: gemini.url,
      ELEVENLABS_API_KEY: XI,
      ELEVENLABS_BASE_URL: voice.url,
      RATE_LIMIT_MESSAGES: "3/h",
      RATE_LIMIT_MESSAGES_IP: "5/h",
      RATE_LIMIT_TTS: "40/h",
      RATE_LIMIT_STT: "2/h",
      MAX_STREAMS_PER_SESSION: "2",
      TRUST_PROXY_HOPS: "1",
    });
    try {
      await t.step(
        "the 4th reply of a session is refused; nothing stored, the model not called",
        async () => {
          const alice = new ClientAt(server.url, "203.0.113.1");
          const { body: conv } = await alice.json<{ id: string }>("/api/conversations", {
            method: "POST",
            json: {},
          });
          for (const content of ["one", "two"]) {
            const res = await alice.fetch(`/api/conversations/${conv.id}/messages`, {
              method: "POST",
              json: { content },
            });
            assert.equal(res.status, 200);
            assert.equal((await readSse(res)).at(-1)!.event, "done");
          }
          assert.equal(
            (await alice.fetch(`/api/conversations/${conv.id}/regenerate`, { method: "POST" })).status,
            200,
          );
          const modelCalls = gemini.requests.length;
          const refused = await alice.fetch(`/api/conversations/${conv.id}/messages`, {
            method: "POST",
            json: { content: "three" },
          });
          assert.equal(refused.status, 429);
          const retry = Number(refused.headers.get("retry-after"));
          assert.ok(retry >= 1 && retry <= 1200, `Retry-After ${retry}`);
          assert.equal(((await refused.json()) as ErrorBody).error.code, "rate_limited");
          assert.equal(gemini.requests.length, modelCalls, "the model was not called");
          const stored = (await alice.json<Conv>(`/api/conversations/${conv.id}`)).body.messages;
          assert.deepEqual(stored.map((m) => m.content), ["one", "Echo: one", "two", "Echo: two"]);
        },
      );

      await t.step("a fresh cookie does not escape the per-IP limit", async () => {
        // Alice used 3 of her address's 5; Bob there gets 2 more, then the address is exhausted.
        const bob = new ClientAt(server.url, "203.0.113.1");
        const { body: conv } = await bob.json<{ id: string }>("/api/conversations", {
          method: "POST",
          json: {},
        });
        const statuses = [];
        for (let i = 0; i < 3; i++) {
          const res = await bob.fetch(`/api/conversations/${conv.id}/messages`, {
            method: "POST",
            json: { content: `b${i}` },
          });
          statuses.push(res.status);
          await res.body?.cancel();
        }
        assert.deepEqual(statuses, [200, 200, 429]);
      });

      await t.step("TTS is charged per character, STT per request, both per session", async () => {
        const carol = new ClientAt(server.url, "2001:db8:1:2::7");
        const say = (text: string) => carol.fetch("/api/tts", { method: "POST", json: { text } });
        const first = await say("x".repeat(30));
        assert.equal(first.status, 200);
        await first.body?.cancel();
        const second = await say("y".repeat(30));
        assert.equal(second.status, 429);
        assert.ok(Number(second.headers.get("retry-after")) >= 1);
        assert.equal(((await second.json()) as ErrorBody).error.code, "rate_limited");
        const small = await say("z".repeat(10));
        assert.equal(small.status, 200, "a refused request charged nothing");
        await small.body?.cancel();
        const stt = async () => {
          const form = new FormData();
          form.append("file", new Blob([silentMp3(10)], { type: "audio/mpeg" }), "a.mp3");
          return (await carol.json("/api/stt", { method: "POST", body: form })).status;
        };
        assert.deepEqual([await stt(), await stt(), await stt()], [200, 200, 429]);
      });

      await t.step("at most 2 replies per session at once; a stopped one frees its slot", async () => {
        gemini.setOptions({ tokenDelayMs: 60 });
        const dave = new ClientAt(server.url, "203.0.113.2");
        const ids = [];
        for (let i = 0; i < 3; i++) {
          ids.push(
            (await dave.json<{ id: string }>("/api/conversations", { method: "POST", json: {} })).body.id,
          );
        }
        const open = [];
        for (let i = 0; i < 2; i++) {
          const res = await dave.fetch(`/api/conversations/${ids[i]}/messages`, {
            method: "POST",
            json: { content: "w ".repeat(30) },
          });
          assert.equal(res.status, 200);
          open.push(res);
        }
        const third = await dave.fetch(`/api/conversations/${ids[2]}/messages`, {
          method: "POST",
          json: { content: "third" },
        });
        assert.equal(third.status, 429);
        assert.equal(third.headers.get("retry-after"), "1");
        assert.equal(((await third.json()) as ErrorBody).error.code, "too_many_streams");
        const stored = (await dave.json<Conv>(`/api/conversations/${ids[2]}`)).body.messages;
        assert.deepEqual(stored, [], "nothing stored for a refused stream");
        // Leaving does not free a slot (the reply goes on); stopping it does.
        await open[0].body!.cancel();
        assert.equal(server.services.limits.streams.active(sessionOf(dave)), 2);
        const stopped = await dave.fetch(
          `/api/conversations/${ids[0]}/messages/${open[0].headers.get("x-message-id")}/stop`,
          { method: "POST" },
        );
        assert.equal(stopped.status, 200);
        await stopped.body?.cancel();
        await waitFor(() => server.services.limits.streams.active(sessionOf(dave)) === 1, "the slot to free");
        gemini.setOptions({ tokenDelayMs: 0 });
        const again = await dave.fetch(`/api/conversations/${ids[2]}/messages`, {
          method: "POST",
          json: { content: "third" },
        });
        assert.equal(again.status, 200);
        assert.equal((await readSse(again)).at(-1)!.event, "done");
        await readSse(open[1]);
        await waitFor(() => server.services.limits.streams.total() === 0, "all slots free");
      });
    } finally {
      await server.close();
      await gemini.close();
      await voice.close();
    }
  },
});

/** A browser at address `ip` behind one trusted proxy (the app runs with TRUST_PROXY_HOPS=1). */
class ClientAt extends ApiClient {
  constructor(base: string, readonly ip: string) {
    super(base);
  }
  override fetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("x-forwarded-for", `198.51.100.9, ${this.ip}`);
    return super.fetch(path, { ...init, headers });
  }
}

/** The session id inside a client's signed cookie. */
function sessionOf(client: ApiClient): string {
  const cookie = (client as unknown as { cookie: string }).cookie;
  const value = cookie.split("=")[1];
  return value.slice(0, value.lastIndexOf("."));
}
