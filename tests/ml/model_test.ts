import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../ml/backend.ts";
import { embeddingLookup, Gpt } from "../../ml/model.ts";
import { AdamW } from "../../ml/optim.ts";
import { evaluate, type TokenBatch, trainStep } from "../../ml/step.ts";
import { Rng } from "../../ml/random.ts";

await initBackend();

const CONFIG = { vocabSize: 40, blockSize: 16, layers: 2, heads: 2, dModel: 16 };

function randomBatch(b: number, t: number, vocab: number, seed: number): TokenBatch {
  const rng = new Rng(seed);
  const ids = Int32Array.from({ length: b * t }, () => Math.floor(rng.next() * vocab));
  const targets = Int32Array.from({ length: b * t }, () => Math.floor(rng.next() * vocab));
  return { batch: b, seq: t, ids, targets, weights: new Float32Array(b * t).fill(1) };
}

Deno.test("model: forward shapes, parameter names and count, tied head", async () => {
  const model = new Gpt(CONFIG, 1);
  const before = liveTensors();
  const ids = tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], [2, 5], "int32");
  const logits = model.forward(ids);
  assert.deepEqual(logits.shape, [2, 5, 40]);
  assert.ok((await logits.data()).every(Number.isFinite));
  tf.dispose([ids, logits]);
  assert.equal(liveTensors(), before);
  const names = model.namedParameters().map(([n]) => n);
  for (
    const n of [
      "wte",
      "wpe",
      "blocks.0.ln_1.weight",
      "blocks.0.attn.q.weight",
      "blocks.1.attn.o.bias",
      "blocks.1.mlp.fc.weight",
      "blocks.1.mlp.proj.weight",
      "ln_f.bias",
    ]
  ) assert.ok(names.includes(n), n);
  assert.ok(!names.some((n) => n.includes("head")), "the output head is tied to wte");
  const d = 16, v = 40, t = 16, f = 64;
  const perBlock = 2 * 2 * d + 4 * (d * d + d) + (d * f + f) + (f * d + d);
  assert.equal(model.parameterCount().total, v * d + t * d + 2 * perBlock + 2 * d);
  assert.throws(() => model.forward(tf.zeros([1, 17], "int32") as tf.Tensor2D), RangeError);
  model.dispose();
});

Deno.test("model: causal — changing a later token never changes earlier logits", async () => {
  const model = new Gpt(CONFIG, 2);
  const a = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
  const b = [...a];
  b[6] = 39;
  b[9] = 0;
  const la = model.forward(tf.tensor2d([a], [1, 10], "int32"));
  const lb = model.forward(tf.tensor2d([b], [1, 10], "int32"));
  const da = await la.data(), db = await lb.data();
  for (let i = 0; i < 6 * 40; i++) assert.equal(da[i], db[i], `position ${Math.floor(i / 40)} changed`);
  let differs = false;
  for (let i = 6 * 40; i < 10 * 40; i++) if (da[i] !== db[i]) differs = true;
  assert.ok(differs, "later logits must depend on the changed tokens");
  tf.dispose([la, lb]);
  model.dispose();
});

Deno.test("model: embedding lookup has a working gradient on this backend (one-hot·dy)", async () => {
  const table = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
  const ids = tf.tensor1d([2, 0, 2], "int32");
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.mul(embeddingLookup(table, ids), tf.tensor2d([[1, 10], [100, 1000], [2, 20]]))),
    [table],
  );
  assert.deepEqual(Array.from(await grads[table.name].data()), [100, 1000, 0, 0, 3, 30]);
  tf.dispose([table, ids, grads[table.name]]);
});

Deno.test("model: one AdamW step lowers the loss on a fixed batch; initial loss ≈ ln(vocab)", async () => {
  const model = new Gpt(CONFIG, 3);
  const batch = randomBatch(4, 16, 40, 7);
  const before = await evaluate(model, [batch]);
  assert.ok(Math.abs(before - Math.log(40)) < 0.3, `initial loss ${before} should be near ln 40`);
  const opt = new AdamW(
    model.namedParameters().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
  );
  const live = liveTensors();
  const r = await trainStep(model, opt, [batch], 3e-3, 1.0);
  assert.equal(liveTensors(), live, "a step leaks no tensors");
  assert.ok(Math.abs(r.loss - before) < 1e-5, "reported loss is the pre-update loss");
  const after = await evaluate(model, [batch]);
  assert.ok(after < before - 0.01, `loss ${before} -> ${after}`);
  opt.dispose();
  model.dispose();
});
