import assert from "node:assert/strict";
import { validateFile } from "../../../ml/data/validate.ts";
import { writeSyntheticAlpaca } from "../../../ml/data/synthetic.ts";
import { countGpt2Tokens } from "../../../ml/data/tokens.ts";
import { DataError } from "../../../ml/data/errors.ts";

const fixture = (name: string) => new URL(`../../fixtures/data/${name}`, import.meta.url).pathname;

const EXPECTED_FLAGS: Record<string, number[]> = {
  emptyInstruction: [1],
  emptyOutput: [2],
  placeholderOutput: [3],
  placeholderInput: [4, 5],
  exactDuplicate: [6],
  nearDuplicateInstruction: [8],
  overTokenBudget: [15],
  shortInstruction: [9],
  longInstruction: [10],
  controlCharacters: [11],
  strayEscapes: [12],
  urlInInput: [13],
  imageInInput: [14],
};

for (const name of ["defects.jsonl", "defects.json"]) {
  Deno.test(`${name}: every planted defect is counted at its exact index`, async () => {
    const report = await validateFile(fixture(name));
    assert.deepEqual(report.records, { total: 22, valid: 18, invalid: 4 });
    assert.equal(report.ok, false);
    assert.deepEqual(report.errors.map((e) => [e.index, e.field]), [
      [16, "output"],
      [17, "instruction"],
      [19, "(record)"],
      [20, "(record)"],
    ]);
    assert.deepEqual(report.warnings.map((w) => [w.index, w.field]), [[17, "id"], [18, "category"], [
      21,
      "input",
    ]]);
    assert.deepEqual(report.unknownFields, { id: 1, category: 1 });
    const metrics = report.quality.metrics;
    for (const [metric, indices] of Object.entries(EXPECTED_FLAGS)) {
      assert.deepEqual(metrics[metric as keyof typeof metrics].indices, indices, metric);
      assert.equal(metrics[metric as keyof typeof metrics].count, indices.length, metric);
    }
    assert.deepEqual(metrics.placeholderInput.variants, { "<noinput>": 1, "No input": 1 });
    assert.equal(metrics.nearDuplicateInstruction.examples[0].detail, "ROUGE-L 0.923 with record 7");
    assert.equal(metrics.exactDuplicate.examples[0].detail.startsWith("same as record 0"), true);
    // penalties: 4 invalid + 4 severe (1) + near-dup and token budget (0.5 each) + 6 × 0.25 + 2 × 0.05 = 10.6
    assert.equal(report.quality.score.value, Math.round(1000 * (1 - 10.6 / 22)) / 10);
    const budget = 5 + countGpt2Tokens("Repeat the word echo many many times.") + 600 + 1;
    assert.ok(report.quality.lengths.exampleTokens.max > 512);
    assert.ok(budget > 512);
  });
}

Deno.test("lines in errors follow the file layout (JSONL line = record + 1; JSON array = element start)", async () => {
  const jsonl = await validateFile(fixture("defects.jsonl"));
  assert.deepEqual(jsonl.errors.map((e) => e.line), [17, 18, 20, 21]);
  const json = await validateFile(fixture("defects.json"));
  assert.deepEqual(json.errors.map((e) => e.line), [82, 87, 98, 102]);
});

Deno.test("--max-tokens changes the budget; distributions are exact on a tiny file", async () => {
  const report = await validateFile(fixture("bom_crlf.jsonl"), { maxTokens: 40 });
  assert.equal(report.ok, true);
  const words = report.quality.lengths.instruction.words;
  assert.deepEqual([words.min, words.p50, words.max], [4, 4, 4]);
  const over = report.quality.metrics.overTokenBudget;
  assert.deepEqual(over.indices, [1]); // the only record with an input uses the longer template
});

Deno.test("--out writes a cleaned copy and leaves the input untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const input = fixture("defects.jsonl");
    const before = await Deno.readFile(input);
    const out = `${dir}/clean.jsonl`;
    const report = await validateFile(input, { out });
    assert.deepEqual(await Deno.readFile(input), before);
    assert.deepEqual(report.cleaned, {
      path: out,
      written: 14,
      droppedInvalid: 4,
      droppedExactDuplicates: 1,
      droppedEmpty: 2,
      droppedPlaceholderOutput: 1,
      normalizedInputs: 2,
    });
    const lines = (await Deno.readTextFile(out)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 14);
    assert.deepEqual(lines[1], {
      instruction: "Summarize the following paragraph briefly.",
      input: "",
      output: "It is short.",
    });
    assert.deepEqual(Object.keys(lines[13]), ["instruction", "input", "output"]);
    const again = await validateFile(out);
    assert.equal(again.ok, true);
    assert.equal(
      again.quality.metrics.exactDuplicate.count + again.quality.metrics.placeholderInput.count,
      0,
    );

    const asArray = `${dir}/clean.json`;
    await validateFile(input, { out: asArray });
    assert.equal(JSON.parse(await Deno.readTextFile(asArray)).length, 14);
    await assert.rejects(
      () => validateFile(input, { out: input }),
      (e) => e instanceof DataError && e.code === "INVALID_OPTION",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("50,000 generated records (~19 MB) validate with flat memory and find the planted near-duplicates", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/big.jsonl`;
    const { bytes, planted } = await writeSyntheticAlpaca(path, {
      records: 50_000,
      outputChars: 240,
      nearDuplicateEvery: 1000,
      seed: 3,
    });
    const probe = new URL("./memory_probe.ts", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", probe, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const result = JSON.parse(new TextDecoder().decode(stdout));
    assert.deepEqual(result.records, { total: 50_000, valid: 50_000, invalid: 0 });
    assert.deepEqual(result.nearDuplicates, planted.map((p) => p.index));
    // Live heap (sampled after forced GCs) grows by what is kept per record (lengths, hashes, instruction
    // token ids: ~6 MB here), not by the file: holding the text alone would cost its full size.
    const grewMb = (result.peak - result.baseline) / 1e6;
    assert.ok(bytes > 18e6, `file is ${bytes} bytes`);
    assert.ok(
      grewMb < 12,
      `live heap grew ${grewMb.toFixed(1)} MB for a ${(bytes / 1e6).toFixed(1)} MB file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
