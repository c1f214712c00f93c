import assert from "node:assert/strict";
import { estimateTokens, normalizeTurns, trimHistory, TURN_OVERHEAD_TOKENS } from "../../lib/chat/history.ts";
import type { ChatTurn } from "../../lib/chat/provider.ts";

const u = (content: string): ChatTurn => ({ role: "user", content });
const a = (content: string): ChatTurn => ({ role: "assistant", content });

Deno.test("estimateTokens: about 4 characters per token, rounded up", () => {
  assert.equal(estimateTokens(""), 0);
  assert.equal(estimateTokens("abcd"), 1);
  assert.equal(estimateTokens("abcde"), 2);
  assert.equal(estimateTokens("x".repeat(400)), 100);
});

Deno.test("normalizeTurns: drops blank turns, merges same-role runs, starts with a user turn", () => {
  assert.deepEqual(
    normalizeTurns([a("greeting"), u("q1"), u("q1 more"), a(""), a("  "), a("ans"), u("q2")]),
    [u("q1\n\nq1 more"), a("ans"), u("q2")],
  );
  assert.deepEqual(normalizeTurns([]), []);
});

Deno.test("trimHistory keeps everything that fits", () => {
  const history = [u("hello"), a("hi there"), u("how are you")];
  const r = trimHistory("sys", history, { budgetTokens: 1_000 });
  assert.deepEqual(r.turns, history);
  assert.equal(r.droppedTurns, 0);
  assert.equal(r.overBudget, false);
  assert.equal(r.tokens, 1 + (2 + 2 + 3) + 3 * TURN_OVERHEAD_TOKENS);
});

Deno.test("trimHistory drops the oldest whole exchanges first and never starts with an assistant turn", () => {
  // counter: 1 token per character, so costs are exact: each turn = length + 4
  const count = (t: string) => t.length;
  const history = [u("aaaa"), a("bbbb"), u("cccc"), a("dddd"), u("eeee")];
  // system 2 + latest 8 = 10; each exchange 16
  assert.deepEqual(trimHistory("ss", history, { budgetTokens: 25, countTokens: count }).turns, [u("eeee")]);
  const r = trimHistory("ss", history, { budgetTokens: 26, countTokens: count });
  assert.deepEqual(r.turns, [u("cccc"), a("dddd"), u("eeee")]);
  assert.equal(r.droppedTurns, 2);
  assert.equal(r.tokens, 26);
  assert.deepEqual(trimHistory("ss", history, { budgetTokens: 42, countTokens: count }).turns, history);
  assert.equal(trimHistory("ss", history, { budgetTokens: 41, countTokens: count }).turns.length, 3);
});

Deno.test("trimHistory keeps the system prompt budget: a long prompt leaves room for fewer turns", () => {
  const count = (t: string) => t.length;
  const history = [u("aaaa"), a("bbbb"), u("cccc")];
  assert.equal(trimHistory("", history, { budgetTokens: 24, countTokens: count }).turns.length, 3);
  assert.equal(
    trimHistory("x".repeat(10), history, { budgetTokens: 24, countTokens: count }).turns.length,
    1,
  );
});

Deno.test("trimHistory always keeps the latest user message, flagging overBudget", () => {
  const huge = "z".repeat(10_000);
  const r = trimHistory("system", [u("old"), a("older answer"), u(huge)], { budgetTokens: 100 });
  assert.deepEqual(r.turns, [u(huge)]);
  assert.equal(r.overBudget, true);
  assert.equal(r.droppedTurns, 2);
});

Deno.test("trimHistory keeps turns after the latest user message and rejects a history without one", () => {
  const r = trimHistory(undefined, [u("q"), a("partial answer")], { budgetTokens: 1 });
  assert.deepEqual(r.turns, [u("q"), a("partial answer")]);
  assert.throws(() => trimHistory(undefined, [a("only assistant")], { budgetTokens: 100 }), RangeError);
  assert.throws(() => trimHistory(undefined, [], { budgetTokens: 100 }), RangeError);
});

Deno.test("trimHistory does not mutate its input", () => {
  const history = [u("a"), u("b"), a("c"), u("d")];
  const copy = structuredClone(history);
  trimHistory("s", history, { budgetTokens: 5 });
  assert.deepEqual(history, copy);
});
