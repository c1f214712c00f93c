import assert from "node:assert/strict";
import { initBackend } from "../../ml/backend.ts";
import { saveCheckpoint } from "../../ml/checkpoint.ts";
import { Gpt } from "../../ml/model.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";
import { ChatError } from "../../lib/chat/errors.ts";
import { createLocalProvider, LOCAL_MODEL_LABEL } from "../../lib/chat/local.ts";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { readSse, tokenText } from "../_helpers/sse.ts";
import { collectReply } from "../_helpers/collect_reply.ts";

await initBackend();

/** A tiny untrained checkpoint (byte tokenizer): it emits random bytes, which is all the test needs. */
async function tinyCheckpoint(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "local-model-" });
  const model = new Gpt({ vocabSize: 257, blockSize: 256, layers: 1, heads: 2, dModel: 16 }, 1);
  await saveCheckpoint(dir, model, Tokenizer.bytes(), "F16");
  model.dispose();
  return dir;
}

Deno.test({
  name: "local provider: loads in a Worker, streams token by token with usage, honours abort",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await tinyCheckpoint();
    const provider = createLocalProvider({ modelDir: dir, maxNewTokens: 24, seed: 1 });
    try {
      const info = await provider.ready();
      assert.ok(Number.isFinite(info.loadMs) && info.loadMs > 0, `load time reported: ${info.loadMs}`);
      assert.equal(provider.label, LOCAL_MODEL_LABEL);
      assert.equal((await provider.health()).ok, true);
      const chunks = [];
      for await (
        const c of provider.stream({
          history: [{ role: "user", content: "hi" }],
          signal: new AbortController().signal,
        })
      ) chunks.push(c);
      const texts = chunks.filter((c) => c.type === "text");
      assert.ok(texts.length > 1, "streamed in several pieces");
      const usage = chunks.at(-1)!;
      assert.equal(usage.type, "usage");
      if (usage.type === "usage") assert.ok(usage.completionTokens > 0 && usage.completionTokens <= 24);
      // While the worker generates, the main thread's event loop keeps running.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      await collectReply(
        provider.stream({
          history: [{ role: "user", content: "again" }],
          signal: new AbortController().signal,
        }),
      );
      clearInterval(timer);
      assert.ok(ticks > 0, "event loop was not blocked");
      // Continuing a stopped reply: its text follows "### Response:" in the prompt (byte tokenizer:
      // one token per UTF-8 byte), so the model picks up after it.
      const promptTokens = async (history: { role: "user" | "assistant"; content: string }[]) => {
        let n = -1;
        for await (const c of provider.stream({ history, signal: new AbortController().signal })) {
          if (c.type === "usage") n = c.promptTokens ?? -1;
        }
        return n;
      };
      const plain = await promptTokens([{ role: "user", content: "hi" }]);
      const continued = await promptTokens([
        { role: "user", content: "hi" },
        { role: "assistant", content: "Hello thé" },
      ]);
      assert.equal(continued - plain, new TextEncoder().encode("Hello thé").length);
      const controller = new AbortController();
      await assert.rejects(
        (async () => {
          for await (
            const _ of provider.stream({
              history: [{ role: "user", content: "x" }],
              signal: controller.signal,
            })
          ) {
            controller.abort();
          }
        })(),
        (e) => e instanceof ChatError && e.code === "aborted",
      );
    } finally {
      await provider.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "local provider: a pool of two Workers generates two replies at once (the second starts before the first ends)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await tinyCheckpoint();
    const MAX = 300;
    // Greedy: the untrained model's replies are deterministic and run to MAX tokens (checked below).
    const provider = createLocalProvider({
      modelDir: dir,
      maxNewTokens: MAX,
      temperature: 0,
      seed: 1,
      workers: 2,
    });
    try {
      assert.equal(provider.workers, 2);
      await provider.allReady();
      const events: string[] = [];
      const usage: Record<string, number> = {};
      const run = async (name: string, started?: () => void) => {
        for await (
          const c of provider.stream({
            history: [{ role: "user", content: name }],
            signal: new AbortController().signal,
          })
        ) {
          if (c.type === "text") {
            if (!events.includes(`${name}:first`)) started?.();
            events.push(events.includes(`${name}:first`) ? `${name}:token` : `${name}:first`);
          } else {
            usage[name] = c.completionTokens ?? -1;
            events.push(`${name}:end`);
          }
        }
      };
      const { promise: firstStarted, resolve } = Promise.withResolvers<void>();
      const a = run("a", resolve);
      await firstStarted;
      const b = run("b");
      await Promise.all([a, b]);
      assert.deepEqual(usage, { a: MAX, b: MAX }, "both replies ran to the token limit");
      // With one Worker b could only start after a's end; with two it starts while a is generating.
      assert.ok(
        events.indexOf("b:first") < events.indexOf("a:end"),
        `b's first token came after a's end: ${events.indexOf("b:first")} vs ${events.indexOf("a:end")}`,
      );
      // (Whether a still has tokens left once b's first arrives depends on how fast each Worker runs on
      // a busy machine, so it is not asserted: with one Worker, a's end always precedes b's first,
      // because that Worker posts a's end before it starts on b.)
    } finally {
      await provider.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "local provider: one Worker serves requests one at a time (the pool size is what makes them concurrent)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await tinyCheckpoint();
    const provider = createLocalProvider({
      modelDir: dir,
      maxNewTokens: 40,
      temperature: 0,
      seed: 1,
      workers: 1,
    });
    try {
      assert.equal(provider.workers, 1);
      const order: string[] = [];
      const run = async (name: string) => {
        for await (
          const c of provider.stream({
            history: [{ role: "user", content: name }],
            signal: new AbortController().signal,
          })
        ) order.push(`${name}:${c.type}`);
      };
      await Promise.all([run("a"), run("b")]);
      // Serial: every piece of a comes before any of b.
      const lastA = order.lastIndexOf("a:usage");
      assert.ok(lastA >= 0 && order.slice(0, lastA + 1).every((e) => e.startsWith("a:")), order.join(","));
    } finally {
      await provider.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "local provider: with no Gemini key the chat API replies with the local model, streamed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await tinyCheckpoint();
    const healthToken = "h".repeat(32);
    const server = await startTestServer({
      LOCAL_MODEL_DIR: dir,
      LOCAL_MODEL_SEED: "7",
      GEMINI_API_KEY: "",
      HEALTH_TOKEN: healthToken,
    });
    try {
      const client = new ApiClient(server.url);
      const health = await client.json<{ checks: { model: { ok: boolean; provider: string } } }>(
        "/api/health",
        { headers: { authorization: `Bearer ${healthToken}` } },
      );
      assert.equal(health.body.checks.model.provider, "local");
      const { body } = await client.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
      const res = await client.fetch(`/api/conversations/${body.id}/messages`, {
        method: "POST",
        json: { content: "Say hello." },
      });
      assert.equal(res.status, 200);
      const events = await readSse(res);
      const tokens = events.filter((e) => e.event === "token");
      assert.ok(
        tokens.length > 1,
        `expected several token events, got ${events.map((e) => e.event).join(",")}`,
      );
      assert.equal(events.at(-1)!.event, "done");
      const conv = await client.json<{ messages: Array<{ role: string; content: string; status: string }> }>(
        `/api/conversations/${body.id}`,
      );
      const reply = conv.body.messages.at(-1)!;
      assert.equal(reply.role, "assistant");
      assert.equal(reply.status, "complete");
      assert.equal(reply.content, tokenText(events));
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "local provider: the committed checkpoint (models/local) loads with its adapter in a few seconds and replies",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = new URL("../../models/local", import.meta.url).pathname;
    const provider = createLocalProvider({ modelDir: dir, maxNewTokens: 16, seed: 3 });
    try {
      const info = await provider.ready();
      assert.ok(Number.isFinite(info.loadMs) && info.loadMs > 0, `load time reported: ${info.loadMs}`);
      assert.ok(info.adapter, "the instruction adapter is applied");
      assert.ok(info.parameters > 500_000 && info.parameters < 2_000_000);
      const reply = await collectReply(
        provider.stream({
          history: [{ role: "user", content: 'What does "whale" mean?' }],
          signal: new AbortController().signal,
        }),
      );
      assert.ok(reply.text.length > 0);
      assert.ok(reply.usage!.completionTokens <= 16);
    } finally {
      await provider.close();
    }
  },
});
