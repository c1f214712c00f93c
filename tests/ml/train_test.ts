import assert from "node:assert/strict";
import { initBackend, tf } from "../../ml/backend.ts";
import { encodeExample, instructionBatch } from "../../ml/dataset.ts";
import { LoraModel } from "../../ml/lora.ts";
import { Gpt } from "../../ml/model.ts";
import { AdamW } from "../../ml/optim.ts";
import { learningRate } from "../../ml/schedule.ts";
import { accumulateGradients, batchTensors, type TokenBatch, trainStep } from "../../ml/step.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";
import { readMetrics, runTraining } from "../../ml/train.ts";
import { parseFlags, parseTrainConfig, TrainConfigError } from "../../ml/train_config.ts";

await initBackend();

const FIXTURES = new URL("../fixtures/training/", import.meta.url).pathname;
const CONFIG = { vocabSize: 257, blockSize: 24, layers: 2, heads: 2, dModel: 16 };

Deno.test("train: the loss mask ignores prompt tokens; the response and EOS are learned", async () => {
  const tok = Tokenizer.bytes();
  const ex = encodeExample(tok, { prompt: "Q: hi\nA:", response: " yo" });
  assert.equal(ex.promptLength, 8);
  assert.equal(ex.tokens.at(-1), tok.eosId);
  const batch = instructionBatch([ex], 16, tok.eosId);
  // Positions 7..10 predict " ", "y", "o", EOS: exactly the response and EOS.
  assert.deepEqual(Array.from(batch.weights), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(batch.targets.slice(7, 11)), [32, 121, 111, tok.eosId]);
  const model = new Gpt(CONFIG, 5);
  const loss = async (b: TokenBatch) => {
    const t = tf.tidy(() => model.loss(...batchTensors(b)));
    const v = (await t.data())[0];
    t.dispose();
    return v;
  };
  const changed = {
    ...batch,
    targets: batch.targets.map((t, i) => (batch.weights[i] === 0 ? (t + 17) % 257 : t)),
  };
  assert.equal(await loss(changed), await loss(batch), "masked targets must not change the loss");
  const response = { ...batch, targets: batch.targets.map((t, i) => (i === 8 ? (t + 1) % 257 : t)) };
  assert.notEqual(await loss(response), await loss(batch));
  model.dispose();
});

Deno.test("train: gradient accumulation over k micro-batches equals one k-times-larger batch", async () => {
  const model = new Gpt(CONFIG, 6);
  const tok = Tokenizer.bytes();
  const examples = ["ab", "hello there", "x", "a longer response here"].map((r, i) =>
    encodeExample(tok, { prompt: `prompt ${i}:`, response: r })
  );
  const full = instructionBatch(examples, 24, tok.eosId);
  const halves = [
    instructionBatch(examples.slice(0, 2), 24, tok.eosId),
    instructionBatch(examples.slice(2), 24, tok.eosId),
  ];
  const vars = model.trainableVariables();
  const one = await accumulateGradients(model, vars, [full]);
  const acc = await accumulateGradients(model, vars, halves);
  assert.ok(Math.abs(one.loss - acc.loss) < 1e-5, `${one.loss} vs ${acc.loss}`);
  let worst = 0;
  for (const [i, g] of one.grads.entries()) {
    const a = await g.data(), b = await acc.grads[i].data();
    for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
  }
  assert.ok(worst < 1e-6, `max gradient difference ${worst}`);
  tf.dispose([...one.grads, ...acc.grads]);
  model.dispose();
});

Deno.test("train: LoRA fine-tuning leaves every base weight bit-identical and changes the adapters", async () => {
  const model = new Gpt(CONFIG, 7);
  const snapshot = async () =>
    new Map(await Promise.all(model.namedParameters().map(async ([n, v]) => [n, await v.data()] as const)));
  const lora = LoraModel.apply(model, { rank: 4, alpha: 8, targetModules: ["q", "v", "fc"] }, { seed: 1 });
  const before = await snapshot();
  const opt = new AdamW(
    lora.model.namedParameters().filter(([, v]) => v.trainable).map(([name, variable]) => ({
      name,
      variable,
      decay: true,
    })),
  );
  assert.ok(opt.params.every((p) => /lora_[AB]/.test(p.name)) && opt.params.length === 12);
  const tok = Tokenizer.bytes();
  const batch = instructionBatch(
    [encodeExample(tok, { prompt: "Say:", response: " the whale" })],
    24,
    tok.eosId,
  );
  const first = await trainStep(model, opt, [batch], 1e-2, 1);
  let last = first;
  for (let i = 0; i < 4; i++) last = await trainStep(model, opt, [batch], 1e-2, 1);
  assert.ok(last.loss < first.loss, `${first.loss} -> ${last.loss}`);
  const after = await snapshot();
  for (const [name, data] of before) {
    if (/lora_[AB]/.test(name)) continue;
    assert.deepEqual(after.get(name), data, `${name} changed`);
  }
  assert.notDeepEqual(
    after.get("blocks.0.attn.q.lora_B.weight"),
    before.get("blocks.0.attn.q.lora_B.weight"),
  );
  opt.dispose();
  model.dispose();
});

Deno.test("train: warmup then cosine to minLr", () => {
  const o = { lr: 1, minLr: 0.1, warmupSteps: 4, decaySteps: 14 };
  assert.deepEqual([0, 1, 2, 3].map((s) => learningRate(s, o)), [0.25, 0.5, 0.75, 1]);
  assert.equal(learningRate(4, o), 1);
  assert.ok(Math.abs(learningRate(9, o) - 0.55) < 1e-12);
  assert.equal(learningRate(14, o), 0.1);
  assert.equal(learningRate(100, o), 0.1);
});

Deno.test("train: options from flags over a config file, validated with one line per problem", () => {
  const { config, values } = parseFlags([
    "--config",
    "x.json",
    "--lora.r=4",
    "--saveMerged",
    "--no-resume",
    "--lr",
    "3e-4",
    "--lora.targetModules",
    "q,v",
  ]);
  assert.equal(config, "x.json");
  assert.deepEqual(values, {
    lora: { r: 4, targetModules: "q,v" },
    saveMerged: true,
    resume: false,
    lr: 3e-4,
  });
  const ok = parseTrainConfig({ mode: "lora", base: "b", data: { train: "t" }, ...values });
  assert.deepEqual(ok.lora.targetModules, ["q", "v"]);
  assert.equal(ok.batchSize, 8);
  assert.throws(
    () => parseTrainConfig({ mode: "lora", data: { train: "t" }, steps: 0, stepz: 1, lora: { r: "x" } }),
    (e) => {
      assert.ok(e instanceof TrainConfigError);
      assert.deepEqual(e.problems.sort(), [
        '--lora.r: expected a number (got "x")',
        "--steps: expected an integer ≥ 1 (got 0)",
        "unknown option --stepz",
      ]);
      return true;
    },
  );
  assert.throws(() => parseTrainConfig({ mode: "lora", data: { train: "t" } }), /lora mode needs --base/);
});

Deno.test("train: a resumed run continues the same loss curve as an uninterrupted one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train-resume-" });
  const base = {
    mode: "pretrain",
    data: { train: `${FIXTURES}corpus.txt` },
    tokenizer: { vocabSize: 300 },
    model: { blockSize: 16, layers: 1, heads: 2, dModel: 16 },
    steps: 8,
    batchSize: 2,
    evalEvery: 4,
    evalBatches: 1,
    saveEvery: 100,
    warmupSteps: 2,
    lr: 3e-3,
  };
  const whole = await runTraining(parseTrainConfig({ ...base, out: `${dir}/whole` }));
  assert.equal(whole.step, 8);
  assert.ok(!whole.stopped);
  const controller = new AbortController();
  const part = await runTraining(parseTrainConfig({ ...base, out: `${dir}/split` }), {
    signal: controller.signal,
    onProgress: (p) => p.step === 3 && controller.abort(),
  });
  assert.ok(part.stopped);
  assert.equal(part.step, 3);
  const rest = await runTraining(parseTrainConfig({ ...base, out: `${dir}/split`, resume: true }));
  assert.equal(rest.step, 8);
  assert.deepEqual([...part.losses, ...rest.losses], whole.losses);
  const m1 = (await readMetrics(`${dir}/whole`)).map((m) => [m.type, m.step, m.loss]);
  const m2 = (await readMetrics(`${dir}/split`)).map((m) => [m.type, m.step, m.loss]);
  assert.deepEqual(m2, m1);
  assert.ok(whole.losses[7] < whole.losses[0]);
  await Deno.remove(dir, { recursive: true });
});
