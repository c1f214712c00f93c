import assert from "node:assert/strict";
import { findNearDuplicates } from "../../../ml/data/near_duplicates.ts";
import { rougeL } from "../../../ml/data/rouge.ts";
import { Rng } from "../../../ml/random.ts";
import { syntheticRecords } from "../../../ml/data/synthetic.ts";

/** Every pair, exact ROUGE-L: the reference the fast pass must reproduce. */
function bruteForce(texts: string[], threshold = 0.7): { index: number; of: number }[] {
  const out: { index: number; of: number }[] = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = 0; j < i; j++) {
      if (rougeL(texts[j], texts[i]).fmeasure > threshold) {
        out.push({ index: i, of: j });
        break;
      }
    }
  }
  return out;
}

Deno.test("matches brute force on a small mixed set (short texts, templates, repeats)", () => {
  const rng = new Rng(7);
  const words = [
    "the",
    "a",
    "word",
    "define",
    "explain",
    "harbor",
    "ship",
    "sea",
    "sail",
    "port",
    "list",
    "three",
  ];
  const texts: string[] = [];
  for (let i = 0; i < 400; i++) {
    const n = 1 + rng.int(9);
    texts.push(Array.from({ length: n }, () => rng.pick(words)).join(" "));
  }
  texts.push("", "...", "Define the word harbor.", "Define the word ship.", "sea sea sea sea", "sea sea sea");
  const fast = findNearDuplicates(texts).duplicates.map(({ index, of }) => ({ index, of }));
  assert.deepEqual(fast, bruteForce(texts));
});

Deno.test("finds exactly the planted near-duplicates among 5,000 instructions, verifying few pairs", () => {
  const texts: string[] = [];
  const planted: { index: number; of: number }[] = [];
  let i = 0;
  for (
    const { record, nearDuplicateOf } of syntheticRecords({
      records: 5000,
      nearDuplicateEvery: 97,
      outputChars: 1,
    })
  ) {
    texts.push(record.instruction);
    if (nearDuplicateOf !== null) planted.push({ index: i, of: nearDuplicateOf });
    i++;
  }
  const { duplicates, stats } = findNearDuplicates(texts);
  assert.equal(planted.length, 51);
  assert.deepEqual(duplicates.map(({ index, of }) => ({ index, of })), planted);
  for (const d of duplicates) assert.ok(d.score > 0.7 && d.score < 1);
  assert.ok(stats.lcsComputed < 500, `LCS computed for ${stats.lcsComputed} pairs`);
});

Deno.test("template-generated instructions are near-duplicates of the first one, found quickly", () => {
  const texts = Array.from({ length: 3000 }, (_, i) => `Define the word "w${i}".`);
  const { duplicates, stats } = findNearDuplicates(texts);
  assert.equal(duplicates.length, 2999);
  assert.ok(duplicates.every((d) => d.of === 0 && Math.abs(d.score - 0.75) < 1e-12));
  // "Quickly" as work done, not wall time: one comparison per text, not one per pair (4.5 million).
  assert.equal(stats.candidates, 2999);
  assert.equal(stats.lcsComputed, 2999);
});

Deno.test("threshold is strict (> 0.7, as Alpaca) and configurable", () => {
  // F = 2·LCS/(m+n): "a b c d e f g" vs "a b c d e x y" → LCS 5, F = 10/14 ≈ 0.714
  assert.equal(findNearDuplicates(["a b c d e f g", "a b c d e x y"]).duplicates.length, 1);
  assert.equal(
    findNearDuplicates(["a b c d e f g", "a b c d e x y"], { threshold: 0.75 }).duplicates.length,
    0,
  );
  // F exactly 0.7 is not flagged: m = n = 10, LCS = 7
  assert.equal(findNearDuplicates(["a b c d e f g h i j", "a b c d e f g x y z"]).duplicates.length, 0);
});
