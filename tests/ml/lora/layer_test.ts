import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../../ml/backend.ts";
import { Linear } from "../../../ml/linear.ts";
import { LoraError, LoraLinear } from "../../../ml/lora.ts";
import { Rng } from "../../../ml/random.ts";
import { flat, type Mat, matmul, maxAbsDiff, randMat, transpose } from "../_reference.ts";

await initBackend();

interface Setup {
  layer: LoraLinear;
  x: Mat;
  xt: tf.Tensor2D;
}

/** A LoRA layer on a random base with random (non-zero) A and B, and a random input. */
function setup(
  inF: number,
  outF: number,
  rank: number,
  alpha: number,
  opts: { rs?: boolean; seed?: number } = {},
): Setup {
  const rng = new Rng(opts.seed ?? 10);
  const base = new Linear(inF, outF, { seed: opts.seed ?? 10 });
  const layer = new LoraLinear(base, { rank, alpha, useRslora: opts.rs, seed: 3 });
  layer.loraA.assign(tf.tensor2d(randMat(rank, inF, rng, 0.5)));
  layer.loraB.assign(tf.tensor2d(randMat(outF, rank, rng, 0.5)));
  const x = randMat(4, inF, rng);
  return { layer, x, xt: tf.tensor2d(x) };
}

/** y = x·W0 + b + s·x·Aᵀ·Bᵀ in float64. */
async function formula(l: LoraLinear, x: Mat, withLora = true): Promise<Mat> {
  const w0 = (await l.base.weight.array()) as Mat;
  const b = (await l.base.bias!.array()) as number[];
  const a = (await l.loraA.array()) as Mat;
  const bb = (await l.loraB.array()) as Mat;
  const base = matmul(x, w0).map((row) => row.map((v, j) => v + b[j]));
  if (!withLora) return base;
  const low = matmul(matmul(x, transpose(a)), transpose(bb));
  return base.map((row, i) => row.map((v, j) => v + l.scaling * low[i][j]));
}

async function out(l: LoraLinear, x: tf.Tensor, training = false, seed?: number): Promise<Float32Array> {
  const y = l.forward(x, { training, seed });
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}

Deno.test("at init B = 0, A is Kaiming-uniform, and the output equals the base layer exactly", async () => {
  const base = new Linear(32, 12, { seed: 1 });
  const layer = new LoraLinear(base, { rank: 4, alpha: 8, seed: 2 });
  const a = await layer.loraA.data();
  const bound = 1 / Math.sqrt(32);
  assert.deepEqual(layer.loraA.shape, [4, 32]);
  assert.deepEqual(layer.loraB.shape, [12, 4]);
  assert.ok(
    a.every((v) => Math.abs(v) <= bound) && Math.max(...a) > 0.8 * bound && Math.min(...a) < -0.8 * bound,
  );
  assert.ok((await layer.loraB.data()).every((v) => v === 0));
  const x = tf.randomNormal([3, 5, 32], 0, 1, "float32", 1);
  const y0 = base.forward(x);
  assert.deepEqual(await out(layer, x), await y0.data());
  tf.dispose([x, y0]);
  layer.dispose();
});

Deno.test("gaussian init draws A from N(0, 1/r²)", async () => {
  const layer = new LoraLinear(new Linear(4096, 4), { rank: 4, alpha: 4, init: "gaussian", seed: 5 });
  const a = Array.from(await layer.loraA.data());
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean) < 0.01 && Math.abs(std - 0.25) < 0.01, `mean ${mean} std ${std}`);
  layer.dispose();
});

Deno.test("output equals the explicit formula for random A, B on non-square shapes (2-D and 3-D input)", async () => {
  for (const [inF, outF, r] of [[7, 3, 2], [5, 11, 5], [16, 16, 1]]) {
    const { layer, x, xt } = setup(inF, outF, r, 16);
    assert.ok(maxAbsDiff(await out(layer, xt), flat(await formula(layer, x))) < 1e-5, `${inF}x${outF} r${r}`);
    const x3 = tf.reshape(xt, [2, 2, inF]);
    const y3 = layer.forward(x3);
    assert.deepEqual(y3.shape, [2, 2, outF]);
    assert.ok(maxAbsDiff(await y3.data(), flat(await formula(layer, x))) < 1e-5);
    tf.dispose([xt, x3, y3]);
    layer.dispose();
  }
});

Deno.test("scaling is alpha/r, and alpha/sqrt(r) with rsLoRA", async () => {
  const plain = setup(8, 6, 4, 16);
  const rs = setup(8, 6, 4, 16, { rs: true });
  assert.equal(plain.layer.scaling, 4);
  assert.equal(rs.layer.scaling, 8);
  assert.ok(maxAbsDiff(await out(rs.layer, rs.xt), flat(await formula(rs.layer, rs.x))) < 1e-5);
  // The same A, B: the LoRA contribution doubles going from alpha/r to alpha/sqrt(r) at r = 4.
  const basePart = flat(await formula(plain.layer, plain.x, false));
  const yPlain = await out(plain.layer, plain.xt);
  const yRs = await out(rs.layer, rs.xt);
  const ratio = (yRs[0] - basePart[0]) / (yPlain[0] - basePart[0]);
  assert.ok(Math.abs(ratio - 2) < 1e-4, `ratio ${ratio}`);
  tf.dispose([plain.xt, rs.xt]);
  plain.layer.dispose();
  rs.layer.dispose();
});

Deno.test("merge: merged output equals unmerged within 1e-5 and unmerge restores W0 within 1e-6", async () => {
  const { layer, xt } = setup(12, 9, 3, 6);
  const w0 = await layer.base.weight.data();
  const unmerged = await out(layer, xt);
  layer.merge();
  assert.ok(layer.merged);
  layer.merge(); // idempotent
  assert.ok(maxAbsDiff(await out(layer, xt), unmerged) < 1e-5);
  layer.unmerge();
  layer.unmerge();
  assert.ok(!layer.merged);
  assert.ok(maxAbsDiff(await layer.base.weight.data(), w0) < 1e-6);
  assert.ok(maxAbsDiff(await out(layer, xt), unmerged) < 1e-5);
  xt.dispose();
  layer.dispose();
});

Deno.test("extreme alpha values stay exact to the formula and to the merged form", async () => {
  for (const alpha of [1e-4, 1, 1e4]) {
    const { layer, x, xt } = setup(6, 10, 2, alpha);
    const ref = flat(await formula(layer, x));
    const scale = Math.max(1, ...ref.map(Math.abs));
    const y = await out(layer, xt);
    assert.ok(maxAbsDiff(y, ref) / scale < 1e-6, `alpha ${alpha}`);
    layer.merge();
    assert.ok(maxAbsDiff(await out(layer, xt), ref) / scale < 1e-6, `alpha ${alpha} merged`);
    tf.dispose(xt);
    layer.dispose();
  }
});

Deno.test("disable gives the base output (also when merged); enable restores the adapter", async () => {
  const { layer, x, xt } = setup(5, 4, 2, 4);
  const base = flat(await formula(layer, x, false));
  const adapted = await out(layer, xt);
  layer.merge();
  layer.disable();
  assert.ok(!layer.merged && !layer.enabled);
  assert.ok(maxAbsDiff(await out(layer, xt), base) < 1e-5);
  layer.enable();
  assert.ok(maxAbsDiff(await out(layer, xt), adapted) < 1e-6);
  xt.dispose();
  layer.dispose();
});

Deno.test("dropout acts on the LoRA path only in training", async () => {
  const base = new Linear(16, 8, { seed: 4 });
  const layer = new LoraLinear(base, { rank: 4, alpha: 4, dropout: 0.5, seed: 4 });
  layer.loraB.assign(tf.randomNormal([8, 4], 0, 1, "float32", 4));
  const ref = new LoraLinear(new Linear(16, 8, { seed: 4 }), { rank: 4, alpha: 4, seed: 4 });
  ref.loraB.assign(layer.loraB);
  const x = tf.randomNormal([6, 16], 0, 1, "float32", 9);
  assert.deepEqual(await out(layer, x), await out(ref, x));
  const t1 = await out(layer, x, true, 3);
  assert.ok(maxAbsDiff(t1, await out(ref, x)) > 1e-3);
  assert.deepEqual(t1, await out(layer, x, true, 3));
  x.dispose();
  layer.dispose();
  ref.dispose();
});

Deno.test("only A and B receive gradients; W0 and b are bit-identical after training steps", async () => {
  const { layer, xt } = setup(10, 6, 2, 2);
  const w0 = await layer.base.weight.data();
  const b0 = await layer.base.bias!.data();
  const vars = layer.namedVariables().filter(([, v]) => v.trainable);
  assert.deepEqual(vars.map(([n]) => n), ["lora_A.weight", "lora_B.weight"]);
  const a0 = await layer.loraA.data();
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < 5; i++) {
    const cost = opt.minimize(
      () => tf.mean(tf.square(layer.forward(xt))) as tf.Scalar,
      true,
      vars.map(([, v]) => v),
    );
    cost?.dispose();
  }
  assert.deepEqual(await layer.base.weight.data(), w0);
  assert.deepEqual(await layer.base.bias!.data(), b0);
  assert.ok(maxAbsDiff(await layer.loraA.data(), a0) > 1e-3);
  opt.dispose();
  xt.dispose();
  layer.dispose();
});

Deno.test("gradients of A and B match central finite differences of the float64 formula", async () => {
  const { layer, x, xt } = setup(5, 4, 2, 3);
  const { grads } = tf.variableGrads(
    () => tf.mul(0.5, tf.sum(tf.square(layer.forward(xt)))) as tf.Scalar,
    [layer.loraA, layer.loraB],
  );
  const gA = (await grads[layer.loraA.name].array()) as Mat;
  const gB = (await grads[layer.loraB.name].array()) as Mat;
  const w0 = (await layer.base.weight.array()) as Mat;
  const b = (await layer.base.bias!.array()) as number[];
  const A = (await layer.loraA.array()) as Mat;
  const B = (await layer.loraB.array()) as Mat;
  const loss = (a: Mat, bm: Mat) => {
    const y = matmul(x, w0).map((row) => row.map((v, j) => v + b[j]));
    const low = matmul(matmul(x, transpose(a)), transpose(bm));
    let s = 0;
    y.forEach((row, i) => row.forEach((v, j) => (s += 0.5 * (v + layer.scaling * low[i][j]) ** 2)));
    return s;
  };
  const h = 1e-4;
  const fd = (m: Mat, i: number, j: number, f: () => number) => {
    const keep = m[i][j];
    m[i][j] = keep + h;
    const up = f();
    m[i][j] = keep - h;
    const down = f();
    m[i][j] = keep;
    return (up - down) / (2 * h);
  };
  for (const [m, g] of [[A, gA], [B, gB]] as const) {
    for (let i = 0; i < m.length; i++) {
      for (let j = 0; j < m[0].length; j++) {
        const num = fd(m as Mat, i, j, () => loss(A, B));
        assert.ok(Math.abs(num - g[i][j]) <= 1e-3 * Math.max(1, Math.abs(num)), `${num} vs ${g[i][j]}`);
      }
    }
  }
  tf.dispose([xt, ...Object.values(grads)]);
  layer.dispose();
});

Deno.test("ranks of 0 or above min(in, out) are rejected with a clear error", () => {
  const base = new Linear(6, 4);
  for (const rank of [0, 5, 2.5]) {
    assert.throws(
      () => new LoraLinear(base, { rank, alpha: 1 }),
      (e: unknown) =>
        e instanceof LoraError && e.code === "LORA_RANK_TOO_LARGE" &&
        /min\(in=6, out=4\) = 4/.test(e.message),
    );
  }
  base.dispose();
});

Deno.test("no tensor leaks across forward, backward, merge and unmerge", () => {
  const { layer, xt } = setup(8, 8, 2, 4);
  const before = liveTensors();
  for (let i = 0; i < 3; i++) {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(layer.forward(xt, { training: true })) as tf.Scalar,
      [
        layer.loraA,
        layer.loraB,
      ],
    );
    tf.dispose([value, ...Object.values(grads)]);
    layer.merge();
    tf.dispose(layer.forward(xt));
    layer.unmerge();
  }
  assert.equal(liveTensors(), before);
  xt.dispose();
  layer.dispose();
});

Deno.test("creating and disposing LoRA layers leaves no tensor behind", () => {
  const base = new Linear(8, 6, { seed: 1 });
  const before = liveTensors();
  for (let i = 0; i < 3; i++) {
    const layer = new LoraLinear(Linear.fromTensors(base.weight, base.bias), { rank: 2, alpha: 4, seed: i });
    assert.equal(liveTensors(), before + 4); // base weight + bias copies, A, B: nothing else
    layer.dispose();
  }
  assert.equal(liveTensors(), before);
  base.dispose();
});
