import assert from "node:assert/strict";
import { ChatError } from "../../lib/chat/errors.ts";
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  parseRetryDelay,
  planRetry,
  type RetryPolicy,
  sleep,
} from "../../lib/chat/retry.ts";

const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalWaitMs: 1_500 };

Deno.test("parseRetryAfter: delta-seconds and HTTP-dates", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("3", now), 3_000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("1.5", now), 1_500);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now), 7_000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter("", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

Deno.test("parseRetryDelay: google.rpc.RetryInfo durations", () => {
  assert.equal(parseRetryDelay("35s"), 35_000);
  assert.equal(parseRetryDelay("0.25s"), 250);
  assert.equal(parseRetryDelay("35"), undefined);
  assert.equal(parseRetryDelay(35), undefined);
});

Deno.test("backoffDelay: exponential with equal jitter, capped", () => {
  assert.equal(backoffDelay(0, policy, () => 0), 50);
  assert.equal(backoffDelay(0, policy, () => 1), 100);
  assert.equal(backoffDelay(2, policy, () => 0.5), 300);
  assert.equal(backoffDelay(10, policy, () => 1), 1_000);
});

Deno.test("planRetry: only rate_limited and upstream_unavailable are retried", () => {
  const s = { retries: 0, waitedMs: 0 };
  for (
    const code of ["bad_key", "safety_blocked", "timeout", "aborted", "stream_broken", "bad_request"] as const
  ) {
    assert.equal(planRetry(new ChatError(code), s, policy, () => 0), null, code);
  }
  assert.equal(planRetry(new ChatError("upstream_unavailable"), s, policy, () => 0), 50);
  assert.equal(planRetry(new ChatError("rate_limited"), s, policy, () => 0), 50);
});

Deno.test("planRetry: honors Retry-After, refuses waits beyond the caps and the retry count", () => {
  const e = (ms: number) => new ChatError("rate_limited", undefined, { retryAfterMs: ms });
  assert.equal(planRetry(e(800), { retries: 0, waitedMs: 0 }, policy), 800);
  assert.equal(planRetry(e(1_200), { retries: 0, waitedMs: 0 }, policy), null, "over maxDelayMs");
  assert.equal(planRetry(e(800), { retries: 1, waitedMs: 800 }, policy), null, "over maxTotalWaitMs");
  assert.equal(planRetry(e(700), { retries: 1, waitedMs: 800 }, policy), 700);
  assert.equal(planRetry(e(0), { retries: 3, waitedMs: 0 }, policy), null, "retries used up");
  assert.equal(
    planRetry(e(0), { retries: 0, waitedMs: 0 }, { ...DEFAULT_RETRY_POLICY, maxRetries: 0 }),
    null,
  );
});

Deno.test("sleep resolves after the delay and rejects at once on abort", async () => {
  const t0 = performance.now();
  await sleep(30);
  assert.ok(performance.now() - t0 >= 25);
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(new Error("stop")), 10);
  const t1 = performance.now();
  await assert.rejects(sleep(5_000, ctl.signal), /stop/);
  // Before the 5 s timer (which the op sanitizer would also report if it were left running).
  assert.ok(performance.now() - t1 < 5_000);
  await assert.rejects(sleep(10, AbortSignal.abort(new Error("already"))), /already/);
});
