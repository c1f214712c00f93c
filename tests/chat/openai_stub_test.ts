/** The OpenAI-compatible provider driving the real `openai` SDK against tests/stubs/openai_server.ts. */
import assert from "node:assert/strict";
import { ChatError } from "../../lib/chat/errors.ts";
import { OpenAICompatibleProvider, type OpenAIProviderOptions } from "../../lib/chat/openai.ts";
import type { ChatChunk, ChatRequest } from "../../lib/chat/provider.ts";
import { collectReply } from "../_helpers/collect_reply.ts";
import { openAIStubReply, startOpenAIStub } from "../stubs/openai_server.ts";

function provider(url: string, extra: Partial<OpenAIProviderOptions> = {}) {
  return new OpenAICompatibleProvider({
    id: "stub",
    label: "Stub",
    baseUrl: url,
    defaultModel: "stub-chat",
    random: () => 0,
    retry: { baseDelayMs: 1 },
    ...extra,
  });
}

function ask(text: string, signal = new AbortController().signal, model?: string): ChatRequest {
  return { history: [{ role: "user", content: text }], signal, model };
}

async function failure(stream: AsyncIterable<ChatChunk>): Promise<{ error: ChatError; text: string }> {
  let text = "";
  try {
    for await (const c of stream) if (c.type === "text") text += c.text;
  } catch (e) {
    assert.ok(e instanceof ChatError, `expected a ChatError, got ${e}`);
    return { error: e, text };
  }
  throw new Error(`expected a failure, got "${text}"`);
}

/** Resolves when `check` holds, polling every 5 ms (the stub updates its records asynchronously). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

Deno.test("openai provider: streams the reply with usage; no Authorization header without a key", async () => {
  const stub = startOpenAIStub();
  try {
    const p = provider(stub.url);
    const reply = await collectReply(
      p.stream({
        systemPrompt: "Be brief.",
        history: [{ role: "user", content: "hello there" }],
        signal: new AbortController().signal,
      }),
    );
    assert.equal(reply.text, openAIStubReply("hello there"));
    assert.equal(reply.text, "Echo: hello there");
    assert.deepEqual(reply.usage, { promptTokens: 5, completionTokens: 3, totalTokens: 8 });
    const rec = stub.requests.find((r) => r.path === "/v1/chat/completions")!;
    assert.equal(rec.authorization, null);
    const body = rec.body as { model: string; stream: boolean; stream_options: unknown; messages: unknown[] };
    assert.equal(body.model, "stub-chat");
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(body.messages, [{ role: "system", content: "Be brief." }, {
      role: "user",
      content: "hello there",
    }]);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: the public id's prefix is stripped; models come from /v1/models with capabilities", async () => {
  const stub = startOpenAIStub({ apiKey: "sk-test-123", models: ["llama3.2:3b", "llava:7b"] });
  try {
    const p = provider(stub.url, { apiKey: "sk-test-123", defaultModel: undefined });
    assert.equal(p.defaultModel, "");
    const models = await p.listModels();
    assert.deepEqual(models, [
      { id: "stub:llama3.2:3b", label: "llama3.2:3b · Stub", accepts: [] },
      { id: "stub:llava:7b", label: "llava:7b · Stub", accepts: ["image"] },
    ]);
    const reply = await collectReply(p.stream(ask("hi", undefined, "stub:llama3.2:3b")));
    assert.equal(reply.text, "Echo: hi");
    const rec = stub.requests.find((r) => r.path === "/v1/chat/completions")!;
    assert.equal(rec.authorization, "Bearer sk-test-123");
    assert.equal((rec.body as { model: string }).model, "llama3.2:3b");
    const health = await p.health();
    assert.equal(health.ok, true);
    assert.equal(health.error, undefined);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: models that cannot chat (embeddings, speech, images) are left out of the list", async () => {
  const stub = startOpenAIStub({
    models: [
      "gpt-4o-mini",
      "text-embedding-3-small",
      "nomic-embed-text:latest",
      "tts-1",
      "whisper-1",
      "dall-e-3",
      "omni-moderation-latest",
      "davinci-002",
      "gpt-4o-realtime-preview",
      "qwen2.5:7b",
    ],
  });
  try {
    const models = await provider(stub.url).listModels();
    assert.deepEqual(models.map((m) => m.id), ["stub:gpt-4o-mini", "stub:qwen2.5:7b"]);
    assert.deepEqual(models[0].accepts, ["image"]);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: a wrong key is bad_key, in replies, model lists and health", async () => {
  const stub = startOpenAIStub({ apiKey: "sk-right-key" });
  try {
    const p = provider(stub.url, { apiKey: "sk-wrong-key" });
    const { error } = await failure(p.stream(ask("hi")));
    assert.equal(error.code, "bad_key");
    assert.equal(error.status, 401);
    assert.ok(!error.message.includes("sk-wrong-key"));
    await assert.rejects(p.listModels(), (e: unknown) => e instanceof ChatError && e.code === "bad_key");
    const h = await p.health();
    assert.equal(h.ok, false);
    assert.match(h.error!, /API key of Stub was rejected/);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: 429 carries Retry-After; the wait is honored and the retry succeeds", async () => {
  const stub = startOpenAIStub();
  try {
    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 7 });
    const { error } = await failure(provider(stub.url, { maxRetries: 0 }).stream(ask("hi")));
    assert.equal(error.code, "rate_limited");
    assert.equal(error.retryAfterMs, 7000);
    // The SDK's own retries are off: exactly one request reached the stub.
    assert.equal(stub.requests.length, 1);

    stub.reset();
    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 0 }, { times: 1 });
    const reply = await collectReply(provider(stub.url).stream(ask("again")));
    assert.equal(reply.text, "Echo: again");
    assert.deepEqual(stub.requests.map((r) => r.status), [429, 200]);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: 5xx is upstream_unavailable and retried before the first token", async () => {
  const stub = startOpenAIStub();
  try {
    stub.setFault({ kind: "server_error", status: 503 });
    const { error } = await failure(provider(stub.url, { maxRetries: 0 }).stream(ask("hi")));
    assert.equal(error.code, "upstream_unavailable");
    assert.equal(error.status, 503);
    stub.reset();
    stub.setFault({ kind: "server_error", status: 502 }, { times: 2 });
    const reply = await collectReply(provider(stub.url).stream(ask("hi")));
    assert.equal(reply.text, "Echo: hi");
    assert.deepEqual(stub.requests.map((r) => r.status), [502, 502, 200]);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: context too long, unknown model and a server that is down", async () => {
  const stub = startOpenAIStub();
  try {
    const p = provider(stub.url);
    const long = await failure(p.stream(ask("[[stub:context_length]] very long")));
    assert.equal(long.error.code, "context_too_long");
    assert.match(long.error.message, /too long for this model/);
    const missing = await failure(p.stream(ask("hi", undefined, "stub:no-such-model")));
    assert.equal(missing.error.code, "bad_request");
    assert.equal(missing.error.message, 'The model "no-such-model" is not available on Stub.');
  } finally {
    await stub.close();
  }
  // The stub is closed: the port refuses connections.
  const { error } = await failure(provider(stub.url, { maxRetries: 0 }).stream(ask("hi")));
  assert.equal(error.code, "upstream_unavailable");
  assert.equal((await provider(stub.url).health()).ok, false);
});

Deno.test("openai provider: a cut or an error frame after text is stream_broken and the text is kept", async () => {
  const stub = startOpenAIStub();
  try {
    const p = provider(stub.url);
    const cut = await failure(p.stream(ask("[[stub:cut:2]] one two three four")));
    assert.equal(cut.error.code, "stream_broken");
    assert.equal(cut.text, "Echo: one");
    const frame = await failure(p.stream(ask("[[stub:error_event:3]] one two three four")));
    assert.equal(frame.error.code, "stream_broken");
    assert.equal(frame.text, "Echo: one two");
    // Neither was retried: text had gone out.
    assert.equal(stub.requests.length, 2);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: Stop aborts the upstream request; the stub sees the client leave", async () => {
  const stub = startOpenAIStub();
  try {
    const ac = new AbortController();
    const stream = provider(stub.url).stream(ask("[[stub:stall:2]] one two three", ac.signal));
    let text = "";
    const done = (async () => {
      for await (const c of stream) {
        if (c.type === "text") text += c.text;
        if (text === "Echo: one") ac.abort();
      }
    })();
    await assert.rejects(done, (e: unknown) => e instanceof ChatError && e.code === "aborted");
    assert.equal(text, "Echo: one");
    await until(() => stub.requests[0]?.outcome === "aborted");
    assert.equal(stub.requests[0].tokensSent, 2);
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: an idle server times out", async () => {
  const stub = startOpenAIStub();
  try {
    const { error, text } = await failure(
      provider(stub.url, { timeoutMs: 150 }).stream(ask("[[stub:stall:1]] one two")),
    );
    assert.equal(error.code, "timeout");
    assert.equal(text, "Echo:");
    await until(() => stub.requests[0]?.outcome === "aborted");
  } finally {
    await stub.close();
  }
});

Deno.test("openai provider: image attachments go as image_url parts, PDFs as file parts", async () => {
  const stub = startOpenAIStub();
  try {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const pdf = new TextEncoder().encode("%PDF-1.4\n");
    const reply = await collectReply(
      provider(stub.url).stream({
        history: [{
          role: "user",
          content: "what is this",
          attachments: [{ mimeType: "image/png", data: png }, {
            mimeType: "application/pdf",
            data: pdf,
            name: "a.pdf",
          }],
        }],
        signal: new AbortController().signal,
      }),
    );
    assert.equal(reply.text, "Echo: what is this [image]");
    const body = stub.requests[0].body as { messages: { content: unknown }[] };
    assert.deepEqual(body.messages[0].content, [
      { type: "text", text: "what is this" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgoBAgM=" } },
      { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0xLjQK" } },
    ]);
  } finally {
    await stub.close();
  }
});
