/**
 * The Gemini provider driven through the real `@google/genai` SDK against the local protocol stub:
 * happy path, every fault mode, retry-before-first-token only, abort and timeout cancelling the
 * upstream request, health, and history trimming on the wire.
 */
import assert from "node:assert/strict";
import { ChatError } from "../../lib/chat/errors.ts";
import { GeminiProvider, type GeminiProviderOptions } from "../../lib/chat/gemini.ts";
import type { ChatChunk, ChatTurn } from "../../lib/chat/provider.ts";
import {
  type GeminiStub,
  type RecordedRequest,
  startGeminiStub,
  stubReplyText,
} from "../stubs/gemini_server.ts";

/** Runs one stream to its end, keeping the text received before any error. */
async function run(
  provider: GeminiProvider,
  history: ChatTurn[],
  opts: { signal?: AbortSignal; systemPrompt?: string; model?: string } = {},
) {
  const chunks: ChatChunk[] = [];
  let text = "";
  let error: ChatError | undefined;
  try {
    for await (
      const chunk of provider.stream({
        history,
        systemPrompt: opts.systemPrompt,
        model: opts.model,
        signal: opts.signal ?? new AbortController().signal,
      })
    ) {
      chunks.push(chunk);
      if (chunk.type === "text") text += chunk.text;
    }
  } catch (e) {
    if (!(e instanceof ChatError)) throw e;
    error = e;
  }
  return { chunks, text, error };
}

const user = (content: string): ChatTurn[] => [{ role: "user", content }];

async function withStub(
  fn: (stub: GeminiStub, make: (o?: Partial<GeminiProviderOptions>) => GeminiProvider) => Promise<void>,
) {
  const stub = await startGeminiStub();
  try {
    await fn(stub, (o = {}) =>
      new GeminiProvider({
        apiKey: stub.apiKey,
        baseUrl: stub.url,
        retry: { baseDelayMs: 5, maxDelayMs: 2_000, maxTotalWaitMs: 3_000 },
        random: () => 0.5,
        ...o,
      }));
  } finally {
    await stub.close();
  }
}

/** Polls `cond`; `ms` only bounds a failing test (2 s was tight for a shared, loaded machine). */
async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const modelRequests = (stub: GeminiStub): RecordedRequest[] =>
  stub.requests.filter((r) => r.action === "streamGenerateContent");

Deno.test("streams the exact reply, then usage; sends roles, system prompt and key as Gemini expects", async () => {
  await withStub(async (stub, make) => {
    const history: ChatTurn[] = [
      { role: "user", content: "first question" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: "tell me about deno streams" },
    ];
    const { chunks, text, error } = await run(make(), history, { systemPrompt: "Be brief." });
    assert.equal(error, undefined);
    assert.equal(text, stubReplyText("tell me about deno streams"));
    assert.equal(text, "Echo: tell me about deno streams");
    assert.equal(chunks.filter((c) => c.type === "text").length, 6, "one chunk per streamed token");
    const last = chunks.at(-1)!;
    assert.equal(last.type, "usage");
    // stub: prompt tokens = ceil(chars / 4) over system prompt + all contents
    const chars = "Be brief.".length + history.reduce((n, t) => n + t.content.length, 0);
    assert.deepEqual(last, {
      type: "usage",
      promptTokens: Math.ceil(chars / 4),
      completionTokens: 6,
      totalTokens: Math.ceil(chars / 4) + 6,
    });

    const [req] = stub.requests;
    assert.equal(stub.requests.length, 1);
    assert.equal(req.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    assert.equal(req.apiKey, stub.apiKey);
    const body = req.body as Record<string, unknown>;
    assert.deepEqual(body.contents, [
      { role: "user", parts: [{ text: "first question" }] },
      { role: "model", parts: [{ text: "first answer" }] },
      { role: "user", parts: [{ text: "tell me about deno streams" }] },
    ]);
    assert.deepEqual(body.systemInstruction, { role: "user", parts: [{ text: "Be brief." }] });
    assert.ok(
      !JSON.stringify(body).includes("automaticContinuation"),
      "SDK-only option must not reach the wire",
    );
  });
});

Deno.test("request model overrides the default; a models/ prefix is accepted", async () => {
  await withStub(async (stub, make) => {
    const { text } = await run(make(), user("hi"), { model: "models/gemini-2.5-pro" });
    assert.equal(text, "Echo: hi");
    assert.equal(stub.requests[0].model, "gemini-2.5-pro");
  });
});

Deno.test("429: waits the Retry-After the server asked for, then succeeds", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 1 }, { times: 1 });
    const started = performance.now();
    const { text, error } = await run(make(), user("rate limited once"));
    const elapsed = performance.now() - started;
    assert.equal(error, undefined);
    assert.equal(text, "Echo: rate limited once");
    assert.equal(modelRequests(stub).length, 2);
    assert.deepEqual(modelRequests(stub).map((r) => r.status), [429, 200]);
    assert.ok(elapsed >= 950, `honored Retry-After: 1 (waited ${elapsed.toFixed(0)} ms)`);
    const gap = modelRequests(stub)[1].receivedAt - modelRequests(stub)[0].receivedAt;
    assert.ok(gap >= 950, `second attempt at least 1 s after the first (${gap} ms)`);
  });
});

Deno.test("429: a Retry-After beyond the wait cap fails at once as rate_limited with retryAfterMs", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 30 });
    const started = performance.now();
    const { error } = await run(make(), user("hi"));
    // It did not sit out the 30 s (the only bound that means "at once" on any machine).
    assert.ok(performance.now() - started < 30_000);
    assert.equal(error?.code, "rate_limited");
    assert.equal(error?.status, 429);
    assert.equal(error?.retryAfterMs, 30_000);
    assert.equal(modelRequests(stub).length, 1);
  });
});

Deno.test("429: retries are bounded by maxRetries", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 0 });
    const { error } = await run(make({ maxRetries: 3 }), user("hi"));
    assert.equal(error?.code, "rate_limited");
    assert.equal(modelRequests(stub).length, 4);
  });
});

Deno.test("500 before the first token is retried and succeeds", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "server_error", status: 500 }, { times: 2 });
    const { text, error } = await run(make(), user("flaky upstream"));
    assert.equal(error, undefined);
    assert.equal(text, "Echo: flaky upstream");
    assert.deepEqual(modelRequests(stub).map((r) => r.status), [500, 500, 200]);
  });
});

Deno.test("persistent 503 ends as upstream_unavailable after maxRetries; the SDK adds no retries of its own", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "server_error", status: 503 });
    const a = await run(make({ maxRetries: 0 }), user("hi"));
    assert.equal(a.error?.code, "upstream_unavailable");
    assert.equal(a.error?.status, 503);
    assert.equal(modelRequests(stub).length, 1, "exactly one HTTP request with retries off");
    stub.reset();
    stub.setFault({ kind: "server_error", status: 503 });
    const b = await run(make({ maxRetries: 2 }), user("hi"));
    assert.equal(b.error?.code, "upstream_unavailable");
    assert.equal(modelRequests(stub).length, 3);
  });
});

Deno.test("a connection dropped before the first token is retried", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "cut", afterTokens: 0 }, { times: 1 });
    const { text, error } = await run(make(), user("dropped then fine"));
    assert.equal(error, undefined);
    assert.equal(text, "Echo: dropped then fine");
    assert.equal(modelRequests(stub).length, 2);
  });
});

Deno.test("a stream cut mid-way throws stream_broken after the partial text, without retrying", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "cut", afterTokens: 3 });
    const { chunks, text, error } = await run(make(), user("one two three four five"));
    assert.equal(error?.code, "stream_broken");
    assert.equal(text, "Echo: one two");
    assert.equal(chunks.length, 3);
    assert.equal(modelRequests(stub).length, 1, "no retry after text was yielded");
  });
});

Deno.test("a stream that ends cleanly without a finish reason is stream_broken too", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "truncate", afterTokens: 2 });
    const { text, error } = await run(make(), user("one two three"));
    assert.equal(error?.code, "stream_broken");
    assert.equal(text, "Echo: one");
    assert.equal(modelRequests(stub).length, 1);
  });
});

Deno.test("an in-stream error frame after text is stream_broken; before text it is retried", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "error_event", afterTokens: 2, status: 500 });
    const mid = await run(make(), user("a b c"));
    assert.equal(mid.error?.code, "stream_broken");
    assert.equal(mid.text, "Echo: a");
    assert.equal(modelRequests(stub).length, 1);

    stub.reset();
    stub.setFault({ kind: "error_event", afterTokens: 0, status: 503 }, { times: 1 });
    const early = await run(make(), user("a b c"));
    assert.equal(early.error, undefined);
    assert.equal(early.text, "Echo: a b c");
    assert.equal(modelRequests(stub).length, 2);
  });
});

Deno.test("a blocked prompt is safety_blocked, not retried", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "safety_prompt" });
    const { text, error } = await run(make(), user("something bad"));
    assert.equal(error?.code, "safety_blocked");
    assert.match(error!.message, /safety/);
    assert.equal(text, "");
    assert.equal(modelRequests(stub).length, 1);
  });
});

Deno.test("finishReason SAFETY after some text keeps the text and throws safety_blocked", async () => {
  await withStub(async (stub, make) => {
    const { text, error } = await run(make(), user("[[stub:safety_finish:2]] tell me more"));
    assert.equal(error?.code, "safety_blocked");
    assert.equal(text, "Echo: tell", "magic word removed from the echo; 2 tokens before the block");
    assert.equal(stub.requests[0].fault, "safety_finish");
  });
});

Deno.test("a wrong key is bad_key; neither message nor detail leaks the key", async () => {
  await withStub(async (stub, make) => {
    const secret = "AIzaSy-wrong-secret-key-123";
    const { error } = await run(make({ apiKey: secret }), user("hi"));
    assert.equal(error?.code, "bad_key");
    assert.equal(error?.status, 400);
    assert.ok(!error!.message.includes(secret));
    assert.ok(!(error!.detail ?? "").includes(secret));
    assert.ok(!JSON.stringify(error).includes(secret));
    assert.equal(error!.cause, undefined, "the raw upstream error is not kept");
    assert.equal(stub.requests.length, 1, "bad keys are not retried");
    assert.equal(stub.requests[0].apiKey, secret);
  });
});

Deno.test("401 and 403 are bad_key", async () => {
  await withStub(async (stub, make) => {
    for (const status of [401, 403] as const) {
      stub.setFault({ kind: "auth", status });
      const { error } = await run(make(), user("hi"));
      assert.equal(error?.code, "bad_key");
      assert.equal(error?.status, status);
    }
    assert.equal(stub.requests.length, 2);
  });
});

Deno.test("an unknown model is bad_request naming it; a malformed model id never reaches the network", async () => {
  await withStub(async (stub, make) => {
    const missing = await run(make(), user("hi"), { model: "gemini-9-ultra" });
    assert.equal(missing.error?.code, "bad_request");
    assert.equal(missing.error?.status, 404);
    assert.match(missing.error!.message, /gemini-9-ultra/);
    assert.equal(stub.requests.length, 1);

    const bad = await run(make(), user("hi"), { model: "../../v1beta/models" });
    assert.equal(bad.error?.code, "bad_request");
    assert.equal(stub.requests.length, 1);
  });
});

Deno.test("a history with no user message is bad_request", async () => {
  await withStub(async (stub, make) => {
    const { error } = await run(make(), [{ role: "assistant", content: "hello" }]);
    assert.equal(error?.code, "bad_request");
    assert.equal(stub.requests.length, 0);
  });
});

Deno.test("no response in time is timeout", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "hang" });
    const started = performance.now();
    const { error } = await run(make({ timeoutMs: 300, maxRetries: 0 }), user("hi"));
    const elapsed = performance.now() - started;
    assert.equal(error?.code, "timeout");
    // The stub never answers, so getting an error at all shows the timeout fired; not before 300 ms.
    assert.ok(elapsed >= 290, `timed out after ${elapsed.toFixed(0)} ms`);
    assert.equal(modelRequests(stub).length, 1, "timeouts are not retried");
  });
});

Deno.test("no first token in time is timeout, and the upstream stream is cancelled", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "stall", afterTokens: 0 });
    const { text, error } = await run(make({ timeoutMs: 300 }), user("hi"));
    assert.equal(error?.code, "timeout");
    assert.equal(text, "");
    await until(() => stub.requests[0].outcome === "aborted" && stub.activeStreams() === 0);
  });
});

Deno.test("a stream that stalls after text times out, keeping the text", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "stall", afterTokens: 2 });
    const { text, error } = await run(make({ timeoutMs: 300 }), user("one two three"));
    assert.equal(error?.code, "timeout");
    assert.equal(text, "Echo: one");
    assert.equal(modelRequests(stub).length, 1);
    await until(() => stub.activeStreams() === 0 && stub.requests[0].outcome === "aborted");
  });
});

Deno.test("client abort mid-stream throws aborted and cancels the upstream stream", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "slow", tokenDelayMs: 40 });
    const ctl = new AbortController();
    const chunks: string[] = [];
    let error: unknown;
    try {
      for await (const c of make().stream({ history: user("a b c d e f g h i j"), signal: ctl.signal })) {
        if (c.type === "text") chunks.push(c.text);
        if (chunks.length === 2) ctl.abort();
      }
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ChatError);
    assert.equal(error.code, "aborted");
    assert.deepEqual(chunks, ["Echo:", " a"]);
    await until(() => stub.requests[0].outcome === "aborted");
    const sent = stub.requests[0].tokensSent;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(stub.requests[0].tokensSent, sent, "upstream stopped producing");
    assert.ok(sent < 11, `upstream stopped early (${sent} of 11 tokens)`);
    assert.equal(stub.activeStreams(), 0);
  });
});

Deno.test("a consumer that stops reading (break) cancels the upstream stream", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "slow", tokenDelayMs: 30 });
    for await (
      const c of make().stream({ history: user("a b c d e f g h"), signal: new AbortController().signal })
    ) {
      if (c.type === "text") break;
    }
    await until(() => stub.requests[0].outcome === "aborted" && stub.activeStreams() === 0);
  });
});

Deno.test("an abort during a retry wait ends promptly as aborted", async () => {
  await withStub(async (stub, make) => {
    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 2 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const started = performance.now();
    const { error } = await run(make({ retry: { maxDelayMs: 5_000, maxTotalWaitMs: 5_000 } }), user("hi"), {
      signal: ctl.signal,
    });
    assert.equal(error?.code, "aborted");
    // Ended by the abort, before the 2 s Retry-After wait it interrupted.
    assert.ok(performance.now() - started < 2_000);
    assert.equal(modelRequests(stub).length, 1);
  });
});

Deno.test("an already-aborted signal sends nothing", async () => {
  await withStub(async (stub, make) => {
    const { error } = await run(make(), user("hi"), { signal: AbortSignal.abort() });
    assert.equal(error?.code, "aborted");
    assert.equal(stub.requests.length, 0);
  });
});

Deno.test("history beyond the context budget is trimmed on the wire, keeping the latest user message", async () => {
  await withStub(async (stub, make) => {
    const history: ChatTurn[] = [];
    for (let i = 0; i < 10; i++) {
      history.push({ role: "user", content: `question ${i} `.padEnd(40, "q") });
      history.push({ role: "assistant", content: `answer ${i} `.padEnd(40, "a") });
    }
    history.push({ role: "user", content: "latest question" });
    // each old turn: 10 tokens + 4 overhead = 14; latest: 4 + 4 = 8; system: 2 → 2 + 8 + 2·28 = 66 ≤ 70
    const { text } = await run(make({ contextTokenBudget: 70 }), history, { systemPrompt: "Be kind." });
    assert.equal(text, "Echo: latest question");
    const contents =
      (stub.requests[0].body as { contents: { role: string; parts: { text: string }[] }[] }).contents;
    assert.deepEqual(contents.map((c) => c.parts[0].text.split(" ").slice(0, 2).join(" ")), [
      "question 8",
      "answer 8",
      "question 9",
      "answer 9",
      "latest question",
    ]);
  });
});

Deno.test("health: ok with latency; a bad key and an unreachable server say why", async () => {
  await withStub(async (stub, make) => {
    const ok = await make().health();
    assert.equal(ok.ok, true);
    assert.ok(Number.isFinite(ok.latencyMs) && ok.latencyMs >= 0);
    assert.equal(stub.requests[0].action, "listModels");

    const bad = await make({ apiKey: "nope-nope" }).health();
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /key/i);
    assert.ok(!bad.error!.includes("nope-nope"));
  });
  const closed = await startGeminiStub();
  const url = closed.url;
  await closed.close();
  const down = await new GeminiProvider({ apiKey: "k-123", baseUrl: url }).health();
  assert.equal(down.ok, false);
  assert.match(down.error!, /unavailable/);
});

Deno.test("100 concurrent streams all complete with exact text", async () => {
  await withStub(async (stub, make) => {
    stub.setOptions({ tokenDelayMs: 2, replyTokens: 20 });
    const provider = make();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => run(provider, user(`stream ${i} go`))),
    );
    results.forEach((r, i) => {
      assert.equal(r.error, undefined);
      assert.equal(r.text, stubReplyText(`stream ${i} go`, 20));
    });
    assert.equal(modelRequests(stub).length, 100);
    assert.equal(stub.activeStreams(), 0);
  });
});

Deno.test("a slow consumer does not trip the idle timeout (it only times the upstream)", async () => {
  await withStub(async (stub, make) => {
    const chunks: string[] = [];
    for await (
      const c of make({ timeoutMs: 80 }).stream({
        history: user("a b c"),
        signal: new AbortController().signal,
      })
    ) {
      if (c.type === "text") chunks.push(c.text);
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.equal(chunks.join(""), "Echo: a b c");
    assert.equal(stub.requests[0].outcome, "completed");
  });
});

Deno.test("maxOutputTokens and temperature reach the wire; a MAX_TOKENS finish is a normal end", async () => {
  await withStub(async (stub, make) => {
    const { chunks, text, error } = await run(
      make({ maxOutputTokens: 3, temperature: 0.2 }),
      user("a b c d e"),
    );
    assert.equal(error, undefined);
    assert.equal(text, "Echo: a b");
    assert.deepEqual(chunks.at(-1), { type: "usage", promptTokens: 3, completionTokens: 3, totalTokens: 6 });
    const body = stub.requests[0].body as { generationConfig: Record<string, unknown> };
    assert.deepEqual(body.generationConfig, { maxOutputTokens: 3, temperature: 0.2 });
  });
});
