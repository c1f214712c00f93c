import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../ml/backend.ts";
import { causalMask, MultiHeadAttention, scaledDotProductAttention } from "../../ml/attention.ts";
import type { Linear } from "../../ml/linear.ts";
import { Rng } from "../../ml/random.ts";
import { attentionRef, flat, type Mat, matmul, maxAbsDiff, randMat } from "./_reference.ts";

await initBackend();

/** [B][L][D] float64 data and the matching float32 tensor. */
function batch(b: number, l: number, d: number, rng: Rng): { data: Mat[]; t: tf.Tensor3D } {
  const data = Array.from({ length: b }, () => randMat(l, d, rng));
  return { data, t: tf.tensor3d(data) };
}

Deno.test("scaled dot-product attention equals the float64 reference within 1e-5 (plain, causal, masked)", async () => {
  const rng = new Rng(1);
  const [b, lq, lk, dk, dv] = [3, 5, 7, 16, 8];
  const q = batch(b, lq, dk, rng), k = batch(b, lk, dk, rng), v = batch(b, lk, dv, rng);
  const keepData = Array.from(
    { length: b },
    (_, i) => Array.from({ length: lk }, (_, j) => (j < lk - i ? 1 : 0)),
  );
  const cases: Array<{ causal: boolean; masked: boolean }> = [
    { causal: false, masked: false },
    { causal: true, masked: false },
    { causal: false, masked: true },
    { causal: true, masked: true },
  ];
  for (const c of cases) {
    const mask = c.masked ? tf.tensor3d(keepData.map((row) => [row])) : undefined; // [B, 1, Lk]
    const { output, weights } = scaledDotProductAttention(q.t, k.t, v.t, { causal: c.causal, mask });
    const refOut: Mat[] = [];
    const refW: Mat[] = [];
    for (let i = 0; i < b; i++) {
      const keep = Array.from(
        { length: lq },
        (_, r) =>
          Array.from(
            { length: lk },
            (_, j) => (c.masked ? keepData[i][j] : 1) * (c.causal && j > r + (lk - lq) ? 0 : 1),
          ),
      );
      const ref = attentionRef(q.data[i], k.data[i], v.data[i], keep);
      refOut.push(ref.out);
      refW.push(ref.w);
    }
    assert.deepEqual(output.shape, [b, lq, dv]);
    assert.ok(maxAbsDiff(await output.data(), flat(refOut)) < 1e-5, JSON.stringify(c));
    assert.ok(maxAbsDiff(await weights.data(), flat(refW)) < 1e-5, JSON.stringify(c));
    tf.dispose([output, weights, mask]);
  }
  tf.dispose([q.t, k.t, v.t]);
});

Deno.test("softmax rows sum to 1 and causal weights above the diagonal are exactly 0", async () => {
  const rng = new Rng(2);
  const x = batch(2, 6, 4, rng);
  const { output, weights } = scaledDotProductAttention(x.t, x.t, x.t, { causal: true });
  const w = (await weights.array()) as number[][][];
  for (const m of w) {
    for (let i = 0; i < m.length; i++) {
      assert.ok(Math.abs(m[i].reduce((s, c) => s + c, 0) - 1) < 1e-6);
      for (let j = i + 1; j < m.length; j++) assert.equal(m[i][j], 0);
    }
  }
  tf.dispose([x.t, output, weights]);
});

Deno.test("causalMask shifts the diagonal when there are more keys than queries (cached prefix)", async () => {
  const m = causalMask(2, 4);
  assert.deepEqual(await m.array(), [[1, 1, 1, 0], [1, 1, 1, 1]]);
  m.dispose();
});

Deno.test("d_k scaling: scores are divided by sqrt(d_k)", async () => {
  const dk = 16;
  // q·k0 = 2, q·k1 = 0, so weights must be softmax([2/4, 0]).
  const q = tf.tensor2d([[1, 1, ...new Array(dk - 2).fill(0)]]);
  const k = tf.tensor2d([[1, 1, ...new Array(dk - 2).fill(0)], new Array(dk).fill(0)]);
  const v = tf.tensor2d([[1], [0]]);
  const { output, weights } = scaledDotProductAttention(q, k, v);
  const expected = Math.exp(0.5) / (Math.exp(0.5) + 1);
  const [w0] = await weights.data();
  assert.ok(Math.abs(w0 - expected) < 1e-6, `${w0} vs ${expected}`);
  assert.ok(Math.abs((await output.data())[0] - expected) < 1e-6);
  tf.dispose([q, k, v, output, weights]);
});

/** Float64 multi-head attention with the layer's own weights. */
async function mhaRef(mha: MultiHeadAttention, x: Mat, causal: boolean, keepKeys?: number[]): Promise<Mat> {
  const proj = async (name: string, input: Mat): Promise<Mat> => {
    const lin = mha.linear(name) as Linear;
    const w = (await lin.weight.array()) as Mat;
    const bias = (await lin.bias!.array()) as number[];
    return matmul(input, w).map((row) => row.map((val, j) => val + bias[j]));
  };
  const [q, k, v] = [await proj("q", x), await proj("k", x), await proj("v", x)];
  const h = mha.headDim;
  const heads: Mat[] = [];
  for (let hi = 0; hi < mha.heads; hi++) {
    const cols = (m: Mat) => m.map((row) => row.slice(hi * h, (hi + 1) * h));
    const keep = x.map((_, i) => x.map((_, j) => (causal && j > i ? 0 : 1) * (keepKeys ? keepKeys[j] : 1)));
    heads.push(attentionRef(cols(q), cols(k), cols(v), keep).out);
  }
  const concat = x.map((_, i) => heads.flatMap((hm) => hm[i]));
  return proj("o", concat);
}

Deno.test("multi-head attention equals the float64 reference within 1e-5", async () => {
  const rng = new Rng(3);
  const mha = new MultiHeadAttention({ dModel: 16, heads: 4, seed: 3 });
  const x = batch(2, 5, 16, rng);
  const padding = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
  for (const causal of [false, true]) {
    const { output, weights } = mha.forward(x.t, { causal, paddingMask: padding });
    assert.deepEqual(weights.shape, [2, 4, 5, 5]);
    const ref = [await mhaRef(mha, x.data[0], causal), await mhaRef(mha, x.data[1], causal, [1, 1, 1, 0, 0])];
    assert.ok(maxAbsDiff(await output.data(), flat(ref)) < 1e-5);
    tf.dispose([output, weights]);
  }
  tf.dispose([x.t, padding]);
  mha.dispose();
});

Deno.test("padded keys get zero weight and their contents cannot change real outputs", async () => {
  const rng = new Rng(4);
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, seed: 4 });
  const x = batch(1, 4, 8, rng);
  const noisy = x.data[0].map((row, i) => (i >= 2 ? row.map(() => rng.normal(0, 10)) : row));
  const x2 = tf.tensor3d([noisy]);
  const pad = tf.tensor2d([[1, 1, 0, 0]]);
  const a = mha.forward(x.t, { paddingMask: pad });
  const b = mha.forward(x2, { paddingMask: pad });
  const w = (await a.weights.array()) as number[][][][];
  for (const head of w[0]) for (const row of head) assert.deepEqual([row[2], row[3]], [0, 0]);
  const ya = (await a.output.array()) as Mat[];
  const yb = (await b.output.array()) as Mat[];
  assert.ok(maxAbsDiff(flat(ya[0].slice(0, 2)), flat(yb[0].slice(0, 2))) < 1e-6);
  tf.dispose([x.t, x2, pad, a.output, a.weights, b.output, b.weights]);
  mha.dispose();
});

Deno.test("permuting the batch permutes the output", async () => {
  const rng = new Rng(5);
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, seed: 5 });
  const x = batch(3, 4, 8, rng);
  const perm = [2, 0, 1];
  const xp = tf.tensor3d(perm.map((i) => x.data[i]));
  const a = mha.forward(x.t, { causal: true });
  const b = mha.forward(xp, { causal: true });
  const ya = (await a.output.array()) as Mat[];
  const yb = (await b.output.array()) as Mat[];
  perm.forEach((src, dst) => assert.ok(maxAbsDiff(flat(ya[src]), flat(yb[dst])) < 1e-6));
  tf.dispose([x.t, xp, a.output, a.weights, b.output, b.weights]);
  mha.dispose();
});

Deno.test("attention dropout acts only in training, deterministically under a seed", async () => {
  const rng = new Rng(6);
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, seed: 6, dropout: 0.5 });
  const plain = new MultiHeadAttention({ dModel: 8, heads: 2, seed: 6 });
  const x = batch(2, 4, 8, rng);
  const eval1 = mha.forward(x.t);
  const ref = plain.forward(x.t);
  assert.equal(maxAbsDiff(await eval1.output.data(), await ref.output.data()), 0);
  const t1 = mha.forward(x.t, { training: true, seed: 11 });
  const t2 = mha.forward(x.t, { training: true, seed: 11 });
  assert.ok(maxAbsDiff(await t1.output.data(), await ref.output.data()) > 1e-3);
  assert.equal(maxAbsDiff(await t1.output.data(), await t2.output.data()), 0);
  tf.dispose([
    x.t,
    eval1.output,
    eval1.weights,
    ref.output,
    ref.weights,
    t1.output,
    t1.weights,
    t2.output,
    t2.weights,
  ]);
  mha.dispose();
  plain.dispose();
});

Deno.test("no tensor leaks across forward and backward of multi-head attention", () => {
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, seed: 7 });
  const x = tf.randomNormal([2, 3, 8], 0, 1, "float32", 7) as tf.Tensor3D;
  const before = liveTensors();
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.square(mha.forward(x, { causal: true }).output)) as tf.Scalar
    );
    tf.dispose([value, ...Object.values(grads)]);
  }
  assert.equal(liveTensors(), before);
  x.dispose();
  mha.dispose();
});

Deno.test("MultiHeadAttention rejects a width not divisible by the head count", () => {
  assert.throws(() => new MultiHeadAttention({ dModel: 10, heads: 3 }), RangeError);
});
