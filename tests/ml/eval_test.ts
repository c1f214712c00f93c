import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../ml/backend.ts";
import { saveCheckpoint } from "../../ml/checkpoint.ts";
import { encodeChatExample, instructionBatch } from "../../ml/dataset.ts";
import { evaluateRun, lossDistribution, readEvals, textBatches, tokenLosses } from "../../ml/eval.ts";
import { LoraModel } from "../../ml/lora.ts";
import { Gpt } from "../../ml/model.ts";
import { batchTensors } from "../../ml/step.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";
import { readTrainingExamples } from "../../ml/train.ts";
import { formatEval, parseEvalArgs } from "../../tasks/eval.ts";

await initBackend();

const FIXTURES = new URL("../fixtures/training/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("text windows predict every token after the first exactly once", () => {
  const tokens = Int32Array.from({ length: 23 }, (_, i) => i + 1);
  const batches = textBatches(tokens, 5, 2, 0);
  const predicted: number[] = [];
  const contexts: number[] = [];
  for (const b of batches) {
    b.weights.forEach((w, i) => {
      if (w === 1) {
        predicted.push(b.targets[i]);
        contexts.push(b.ids[i]);
      }
    });
  }
  assert.deepEqual(predicted, Array.from(tokens.subarray(1)));
  assert.deepEqual(contexts, Array.from(tokens.subarray(0, -1)));
  assert.equal(batches.reduce((n, b) => n + b.batch, 0), 5); // ceil(22 / 5) windows
});

Deno.test("per-token losses agree with the training loss and their distribution is exact", async () => {
  const tok = Tokenizer.bytes();
  const model = new Gpt({ vocabSize: tok.vocabSize, blockSize: 16, layers: 1, heads: 2, dModel: 16 }, 4);
  const text = "Call me Ishmael. Some years ago, never mind how long precisely.";
  const [batch] = textBatches(Int32Array.from(tok.encode(text)), 16, 8, tok.eosId);
  const live = liveTensors();
  const losses = await tokenLosses(model, batch);
  assert.equal(liveTensors(), live);
  assert.equal(losses.length, tok.encode(text).length - 1);
  const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
  const loss = tf.tidy(() => model.loss(...batchTensors(batch)));
  assert.ok(Math.abs(mean - (await loss.data())[0]) < 1e-5);
  loss.dispose();
  // A fresh model predicts close to uniformly: perplexity near the vocabulary size.
  assert.ok(Math.abs(Math.exp(mean) - tok.vocabSize) / tok.vocabSize < 0.1, `${Math.exp(mean)}`);
  assert.deepEqual(lossDistribution(Float32Array.from([4, 1, 3, 2])), {
    mean: 2.5,
    p50: 2,
    p90: 4,
    p99: 4,
    max: 4,
  });
  model.dispose();
});

Deno.test("evaluateRun: text on a pretrain run, chat records on a LoRA run; eval.json keeps one entry per file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval-" });
  try {
    const corpus = await Deno.readTextFile(`${FIXTURES}corpus.txt`);
    const tok = Tokenizer.train(corpus, { vocabSize: 300 });
    const model = new Gpt({ vocabSize: tok.vocabSize, blockSize: 128, layers: 1, heads: 2, dModel: 16 }, 9);
    await saveCheckpoint(`${dir}/base/model`, model, tok);
    await Deno.writeTextFile(`${dir}/base/config.json`, JSON.stringify({ mode: "pretrain" }));

    const live = liveTensors();
    const text = await evaluateRun({ run: `${dir}/base`, data: `${FIXTURES}corpus.txt`, batchSize: 4 });
    assert.equal(liveTensors(), live);
    assert.equal(text.kind, "text");
    assert.equal(text.weights, "model");
    assert.equal(text.tokens, tok.encode(corpus.replace(/^\uFEFF/, "")).length - 1);
    assert.equal(text.sequences, Math.ceil(text.tokens / 128));
    assert.ok(Math.abs(text.perplexity - Math.exp(text.loss)) < 1e-9);
    const bytes = new TextEncoder().encode(corpus).length;
    assert.ok(Math.abs(text.bitsPerByte! - (text.loss * text.tokens) / Math.LN2 / bytes) < 1e-9);

    // A LoRA run: adapter over its base, B set so the adapter changes predictions.
    const lora = LoraModel.apply(model, { rank: 2, alpha: 4, targetModules: ["q", "v"] });
    for (const [, l] of lora.layers()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.5, "float32", 3));
    await lora.save(`${dir}/chat/adapter`);
    await Deno.writeTextFile(
      `${dir}/chat/config.json`,
      JSON.stringify({ mode: "lora", base: `${dir}/base/model` }),
    );
    const chat = await evaluateRun({ run: `${dir}/chat`, data: `${FIXTURES}chat.sharegpt.jsonl` });
    assert.equal(chat.kind, "records");
    assert.equal(chat.weights, "adapter");
    // Exactly the learned tokens of the examples (assistant turns, their <|im_end|>, the final EOS) count.
    const examples = (await readTrainingExamples(`${FIXTURES}chat.sharegpt.jsonl`)).map((r) =>
      encodeChatExample(tok, r.kind === "chat" ? r.messages : [])
    );
    const counted = examples.reduce(
      (n, e) => n + instructionBatch([e], 128, tok.eosId).weights.reduce((a, b) => a + b, 0),
      0,
    );
    assert.equal(chat.tokens, counted);
    assert.equal(chat.sequences, 12);

    // The adapter is what was evaluated: the same records on the base give another loss.
    await evaluateRun({ run: `${dir}/base`, data: `${FIXTURES}chat.sharegpt.jsonl` });
    const baseEvals = await readEvals(`${dir}/base`);
    assert.deepEqual(baseEvals.map((e) => e.data), [
      `${FIXTURES}corpus.txt`,
      `${FIXTURES}chat.sharegpt.jsonl`,
    ]);
    assert.notEqual(baseEvals[1].loss, chat.loss);
    // Evaluating a file again replaces its entry.
    await evaluateRun({ run: `${dir}/base`, data: `${FIXTURES}corpus.txt`, seqLen: 16 });
    const again = await readEvals(`${dir}/base`);
    assert.deepEqual(again.map((e) => [e.data, e.seqLen]), [[`${FIXTURES}chat.sharegpt.jsonl`, 128], [
      `${FIXTURES}corpus.txt`,
      16,
    ]]);
    assert.match(
      formatEval(text),
      /^.*corpus\.txt \(text, \d+ windows of ≤ 128 tokens, weights: model\)\ntokens \d+ · loss \d\.\d{4} nats\/token · perplexity \d+\.\d{3} · \d\.\d{4} bits\/byte\nper-token loss: p50/,
    );
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task eval: arguments are checked, --help prints usage, a run without weights is refused", async () => {
  assert.deepEqual(parseEvalArgs(["--run", "r", "--data=d", "--seqLen", "8", "--json"]), {
    json: true,
    run: "r",
    data: "d",
    seqLen: 8,
  });
  assert.equal(parseEvalArgs(["--help"]), "help");
  assert.throws(() => parseEvalArgs(["--run", "r"]), /--data <file> is required/);
  assert.throws(
    () => parseEvalArgs(["--run", "r", "--data", "d", "--seqLen", "0"]),
    /--seqLen must be an integer ≥ 1, not 0/,
  );
  assert.throws(() => parseEvalArgs(["--run", "r", "--data", "d", "--bogus"]), /unknown argument --bogus/);
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "eval", "--run", dir, "--data", `${FIXTURES}corpus.txt`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), /holds no model\/, merged\/ or adapter\/ to evaluate/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
