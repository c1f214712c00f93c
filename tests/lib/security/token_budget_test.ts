import assert from "node:assert/strict";
import { cachedCheck, type CheckResult } from "../../../lib/health.ts";
import { bearerMatches } from "../../../lib/security/bearer.ts";
import { formatCount, nextUtcMidnight, replyTokens, utcDay } from "../../../lib/security/token_budget.ts";

Deno.test("replyTokens: reported counts first, the estimate for what is missing, failed requests free", () => {
  const usage = (promptTokens: number | null, completionTokens: number | null) => ({
    promptTokens,
    completionTokens,
  });
  const done = { content: "x".repeat(40), status: "complete" as const };
  assert.equal(replyTokens({ ...done, usage: usage(120, 30) }, 999), 150);
  // No report: the prompt estimate plus ceil(40 / 4) = 10 for the text.
  assert.equal(replyTokens({ ...done, usage: null }, 77), 87);
  assert.equal(replyTokens({ ...done, usage: usage(120, null) }, 77), 130);
  assert.equal(replyTokens({ ...done, usage: usage(null, 5) }, 77), 82);
  // Stopped before any text: the prompt was still sent.
  assert.equal(replyTokens({ content: "", status: "stopped", usage: null }, 77), 77);
  // Failed before any text with no report: nothing was billed.
  assert.equal(replyTokens({ content: "", status: "error", usage: null }, 77), 0);
  assert.equal(replyTokens({ content: "", status: "error", usage: usage(12, 0) }, 77), 12);
});

Deno.test("the budget day is the UTC day; it resets at the next UTC midnight", () => {
  assert.equal(utcDay(Date.parse("2026-03-10T23:59:59.999Z")), "2026-03-10");
  assert.equal(utcDay(Date.parse("2026-03-11T00:00:00.000Z")), "2026-03-11");
  assert.equal(nextUtcMidnight(Date.parse("2026-03-10T23:59:59.999Z")), Date.parse("2026-03-11T00:00:00Z"));
  assert.equal(nextUtcMidnight(Date.parse("2026-03-11T00:00:00.000Z")), Date.parse("2026-03-12T00:00:00Z"));
  assert.equal(nextUtcMidnight(Date.parse("2026-12-31T12:00:00Z")), Date.parse("2027-01-01T00:00:00Z"));
  assert.equal(formatCount(12340), "12,340");
  assert.equal(formatCount(200000), "200,000");
});

Deno.test("cachedCheck: one upstream call per ttl, shared by concurrent callers; failures cached too", async () => {
  let clock = 0;
  let calls = 0;
  let fail = false;
  const check = cachedCheck(
    () => {
      calls++;
      return fail ? Promise.reject(new Error("down")) : Promise.resolve<CheckResult>({ ok: true });
    },
    60_000,
    () => clock,
  );
  const results = await Promise.all([check(), check(), check()]);
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
  assert.equal(calls, 1);
  clock = 59_999;
  await check();
  assert.equal(calls, 1);
  clock = 60_000;
  fail = true;
  assert.deepEqual(await check(), { ok: false, error: "down" });
  assert.deepEqual(await check(), { ok: false, error: "down" });
  assert.equal(calls, 2);
});

Deno.test("bearerMatches: only the exact configured token, never when none is configured", async () => {
  const token = "t".repeat(32);
  assert.equal(await bearerMatches(`Bearer ${token}`, token), true);
  assert.equal(await bearerMatches(`bearer   ${token}`, token), true);
  assert.equal(await bearerMatches(`Bearer ${token}x`, token), false);
  assert.equal(await bearerMatches(`Bearer ${token.slice(1)}`, token), false);
  assert.equal(await bearerMatches(`Basic ${token}`, token), false);
  assert.equal(await bearerMatches(`Bearer ${token} extra`, token), false);
  assert.equal(await bearerMatches("Bearer ", undefined), false);
  assert.equal(await bearerMatches(null, token), false);
});
