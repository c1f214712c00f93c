/**
 * The Gemini protocol stub itself: unary and model-listing endpoints through the real SDK, raw SSE
 * framing, key checks, magic-word faults and the out-of-process control API.
 */
import assert from "node:assert/strict";
import { GoogleGenAI } from "@google/genai";
import { faultFromPrompt, startGeminiStub, stubReplyText, stubReplyTokens } from "../stubs/gemini_server.ts";

Deno.test("stubReplyTokens: 'Echo:' then the prompt word by word, whitespace kept, magic words removed", () => {
  assert.deepEqual(stubReplyTokens("hello  world"), ["Echo:", " hello", "  world"]);
  assert.deepEqual(stubReplyTokens("[[stub:slow:5]] hi"), ["Echo:", " hi"]);
  assert.deepEqual(stubReplyTokens("say [[stub:cut:9]]  it"), ["Echo:", " say", " it"]);
  assert.equal(
    stubReplyText("# Title\n\n| a | b |\n|---|---|\n```ts\nx\n```"),
    "Echo: # Title\n\n| a | b |\n|---|---|\n```ts\nx\n```",
  );
  assert.deepEqual(stubReplyTokens("a b", 5), ["Echo:", " a", " b", " a", " b"]);
  assert.deepEqual(stubReplyTokens("", 3), ["Echo:", " token", " token"]);
  assert.deepEqual(stubReplyTokens(""), ["Echo:"]);
  assert.equal(stubReplyText("x y"), "Echo: x y");
});

Deno.test("faultFromPrompt parses magic words with defaults", () => {
  assert.deepEqual(faultFromPrompt("please [[stub:rate_limit:3]]"), {
    kind: "rate_limit",
    retryAfterSeconds: 3,
  });
  assert.deepEqual(faultFromPrompt("[[stub:server_error]]"), { kind: "server_error", status: 500 });
  assert.deepEqual(faultFromPrompt("[[stub:cut:4]]"), { kind: "cut", afterTokens: 4 });
  assert.deepEqual(faultFromPrompt("[[stub:slow:25]]"), { kind: "slow", tokenDelayMs: 25 });
  assert.deepEqual(faultFromPrompt("[[stub:safety_prompt]]"), { kind: "safety_prompt" });
  assert.equal(faultFromPrompt("[[stub:nonsense]]"), null);
  assert.equal(faultFromPrompt("plain text"), null);
});

Deno.test("generateContent (unary) and models.list (paged) through the real SDK", async () => {
  const stub = await startGeminiStub();
  try {
    const ai = new GoogleGenAI({
      apiKey: stub.apiKey,
      apiVersion: "v1beta",
      httpOptions: { baseUrl: stub.url },
    });
    const res = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "say something nice",
    });
    assert.equal(res.text, "Echo: say something nice");
    assert.equal(res.usageMetadata?.candidatesTokenCount, 4);
    assert.equal(res.candidates?.[0].finishReason, "STOP");

    const pager = await ai.models.list({ config: { pageSize: 2 } });
    const names: string[] = [];
    for await (const m of pager) names.push(m.name ?? "");
    assert.deepEqual(names, [
      "models/gemini-2.5-flash",
      "models/gemini-2.5-pro",
      "models/gemini-2.5-flash-lite",
    ]);
    assert.deepEqual(stub.requests.map((r) => [r.action, r.apiVersion]), [
      ["generateContent", "v1beta"],
      ["listModels", "v1beta"],
      ["listModels", "v1beta"],
    ]);
  } finally {
    await stub.close();
  }
});

Deno.test("raw protocol: SSE frames, key checks and Google-shaped errors", async () => {
  const stub = await startGeminiStub();
  try {
    const url = `${stub.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`;
    const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "one two" }] }] });
    const ok = await fetch(url, { method: "POST", body, headers: { "x-goog-api-key": stub.apiKey } });
    assert.equal(ok.headers.get("content-type"), "text/event-stream");
    const frames = (await ok.text()).split("\r\n\r\n").filter((f) => f !== "");
    assert.equal(frames.length, 3);
    assert.ok(frames.every((f) => f.startsWith("data: ")));
    const last = JSON.parse(frames[2].slice(6));
    assert.equal(last.candidates[0].content.parts[0].text, " two");
    assert.equal(last.candidates[0].finishReason, "STOP");
    assert.deepEqual(last.usageMetadata, {
      promptTokenCount: 2,
      candidatesTokenCount: 3,
      totalTokenCount: 5,
    });

    const missing = await fetch(url, { method: "POST", body });
    assert.equal(missing.status, 403);
    assert.equal((await missing.json()).error.status, "PERMISSION_DENIED");
    const wrong = await fetch(`${url}&key=nope`, { method: "POST", body });
    assert.equal(wrong.status, 400);
    assert.equal((await wrong.json()).error.details[0].reason, "API_KEY_INVALID");

    stub.setFault({ kind: "rate_limit", retryAfterSeconds: 7 }, { times: 1 });
    const limited = await fetch(url, { method: "POST", body, headers: { "x-goog-api-key": stub.apiKey } });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "7");
    assert.equal((await limited.json()).error.details[0].retryDelay, "7s");
    const after = await fetch(url, { method: "POST", body, headers: { "x-goog-api-key": stub.apiKey } });
    assert.equal(after.status, 200, "times: 1 applies the fault once");
    await after.body?.cancel();
  } finally {
    await stub.close();
  }
});

Deno.test("control API sets faults and options for out-of-process use", async () => {
  const stub = await startGeminiStub();
  try {
    const ctl = (path: string, init?: RequestInit) => fetch(`${stub.url}/__stub/${path}`, init);
    await (await ctl("fault", {
      method: "POST",
      body: JSON.stringify({ fault: { kind: "server_error", status: 503 } }),
    }))
      .body?.cancel();
    await (await ctl("options", { method: "POST", body: JSON.stringify({ replyTokens: 3 }) })).body?.cancel();
    const url = `${stub.url}/v1beta/models/gemini-2.5-flash:generateContent`;
    const init = {
      method: "POST",
      headers: { "x-goog-api-key": stub.apiKey },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "p q r s t" }] }] }),
    };
    const failed = await fetch(url, init);
    assert.equal(failed.status, 503);
    await failed.body?.cancel();
    await (await ctl("fault", { method: "DELETE" })).body?.cancel();
    const res = await (await fetch(url, init)).json();
    assert.equal(res.candidates[0].content.parts[0].text, "Echo: p q");
    const recorded = await (await ctl("requests")).json();
    assert.deepEqual(recorded.map((r: { status: number }) => r.status), [503, 200]);
  } finally {
    await stub.close();
  }
});

Deno.test("close() ends streams that are still open", async () => {
  const stub = await startGeminiStub({ tokenDelayMs: 1_000 });
  const res = await fetch(`${stub.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "x-goog-api-key": stub.apiKey },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "a b c" }] }] }),
  });
  assert.equal(stub.activeStreams(), 1);
  await stub.close();
  // Ended by the shutdown, not by sending its three 1 s tokens to the end.
  assert.equal(stub.requests[0].outcome, "aborted");
  assert.equal(stub.activeStreams(), 0);
  await res.body?.cancel().catch(() => {});
  assert.equal(stub.activeStreams(), 0);
  assert.equal(stub.requests[0].outcome, "aborted");
});
