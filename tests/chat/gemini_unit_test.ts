/** Pure parts of the Gemini provider: error classification, options from env, model list and labels. */
import assert from "node:assert/strict";
import { ApiError } from "@google/genai";
import {
  type AttemptContext,
  classifyGeminiError,
  DEFAULT_GEMINI_MODEL,
  GeminiProvider,
  modelLabel,
} from "../../lib/chat/gemini.ts";

const KEY = "AIzaSecretKey0123";
const ctx = (over: Partial<AttemptContext> = {}): AttemptContext => ({
  callerAborted: false,
  timedOut: false,
  yieldedText: false,
  seen: {},
  model: "gemini-2.5-flash",
  ...over,
});
const apiError = (status: number, error: unknown) =>
  new ApiError({ message: JSON.stringify({ error }), status });

Deno.test("classify: 429 takes Retry-After from the header, else from RetryInfo", () => {
  const body = {
    code: 429,
    status: "RESOURCE_EXHAUSTED",
    details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12s" }],
  };
  const fromInfo = classifyGeminiError(apiError(429, body), ctx(), KEY);
  assert.equal(fromInfo.code, "rate_limited");
  assert.equal(fromInfo.retryAfterMs, 12_000);
  const fromHeader = classifyGeminiError(
    apiError(429, body),
    ctx({ seen: { status: 429, retryAfter: "3" } }),
    KEY,
  );
  assert.equal(fromHeader.retryAfterMs, 3_000);
  const none = classifyGeminiError(apiError(429, { code: 429 }), ctx(), KEY);
  assert.equal(none.retryAfterMs, undefined);
});

Deno.test("classify: other 400s show Google's message with the key redacted", () => {
  const e = classifyGeminiError(
    apiError(400, {
      code: 400,
      message: `Request contains an invalid argument near ${KEY}.`,
      status: "INVALID_ARGUMENT",
    }),
    ctx(),
    KEY,
  );
  assert.equal(e.code, "bad_request");
  assert.equal(
    e.message,
    "The model rejected the request: Request contains an invalid argument near [redacted].",
  );
  assert.ok(!JSON.stringify({ m: e.message, d: e.detail }).includes(KEY));
});

Deno.test("classify: transport errors, abort and timeout take precedence as documented", () => {
  const net = new TypeError("error sending request for url: connection refused");
  assert.equal(classifyGeminiError(net, ctx(), KEY).code, "upstream_unavailable");
  assert.equal(classifyGeminiError(net, ctx({ yieldedText: true }), KEY).code, "stream_broken");
  assert.equal(
    classifyGeminiError(apiError(500, { code: 500 }), ctx({ yieldedText: true }), KEY).code,
    "stream_broken",
  );
  assert.equal(classifyGeminiError(net, ctx({ timedOut: true }), KEY).code, "timeout");
  assert.equal(classifyGeminiError(net, ctx({ callerAborted: true, timedOut: true }), KEY).code, "aborted");
  assert.equal(classifyGeminiError(apiError(504, { code: 504 }), ctx(), KEY).code, "upstream_unavailable");
  assert.equal(classifyGeminiError(apiError(408, { code: 408 }), ctx(), KEY).code, "upstream_unavailable");
  assert.equal(classifyGeminiError(apiError(413, { code: 413 }), ctx(), KEY).code, "bad_request");
});

Deno.test("models: the default comes first and gives the label; unknown ids get a readable label", () => {
  const p = new GeminiProvider({ apiKey: "k-123" });
  assert.equal(p.id, "gemini");
  assert.equal(p.defaultModel, DEFAULT_GEMINI_MODEL);
  assert.equal(p.label, "Gemini 2.5 Flash");
  const pro = new GeminiProvider({ apiKey: "k-123", model: "gemini-2.5-pro" });
  assert.deepEqual(pro.models.map((m) => m.id), [
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
  ]);
  const custom = new GeminiProvider({ apiKey: "k-123", model: "gemini-3-pro-preview" });
  assert.equal(custom.label, "Gemini 3 Pro Preview");
  assert.equal(custom.models.length, 4);
  assert.equal(modelLabel("gemini-2.5-flash-lite"), "Gemini 2.5 Flash-Lite");
  assert.throws(() => new GeminiProvider({ apiKey: "" }), /GEMINI_API_KEY/);
  assert.throws(() => new GeminiProvider({ apiKey: "k", model: "a/b" }), /not a valid model/);
});

Deno.test("classifyGeminiError: an over-long prompt is context_too_long", () => {
  const e = classifyGeminiError(
    apiError(400, {
      code: 400,
      status: "INVALID_ARGUMENT",
      message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    }),
    ctx(),
    KEY,
  );
  assert.equal(e.code, "context_too_long");
  assert.equal(e.status, 400);
});
