import assert from "node:assert/strict";
import { lcsLength, rougeL, rougeTokens } from "../../../ml/data/rouge.ts";

Deno.test("rougeTokens lowercases and splits on non-alphanumerics like rouge_score", () => {
  assert.deepEqual(rougeTokens("Hello, World! It's 2024—naïve."), [
    "hello",
    "world",
    "it",
    "s",
    "2024",
    "na",
    "ve",
  ]);
  assert.deepEqual(rougeTokens("  ... "), []);
});

Deno.test("lcsLength on known sequences", () => {
  assert.equal(lcsLength("ABCBDAB", "BDCABA"), 4);
  assert.equal(lcsLength([1, 2, 3], []), 0);
  assert.equal(lcsLength(["a", "b", "c"], ["a", "b", "c"]), 3);
});

Deno.test("rougeL precision, recall, F-measure", () => {
  // reference 7 tokens, candidate 6 tokens, LCS 6
  const s = rougeL(
    "Explain how photosynthesis works in green plants.",
    "Explain how photosynthesis works in plants.",
  );
  assert.equal(s.precision, 1);
  assert.equal(s.recall, 6 / 7);
  assert.ok(Math.abs(s.fmeasure - 12 / 13) < 1e-12);
  assert.deepEqual(rougeL("", "anything"), { precision: 0, recall: 0, fmeasure: 0 });
  // rouge_score's documented example: "The quick brown fox jumps over the lazy dog" vs "The quick brown dog jumps on the log."
  const doc = rougeL("The quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log.");
  assert.equal(doc.precision, 0.625);
  assert.ok(Math.abs(doc.recall - 0.5555555555555556) < 1e-12);
  assert.ok(Math.abs(doc.fmeasure - 0.5882352941176471) < 1e-12);
});
