import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../ml/backend.ts";
import { Linear, matMul2d } from "../../ml/linear.ts";
import { Rng } from "../../ml/random.ts";
import { flat, type Mat, matmul, maxAbsDiff, randMat } from "./_reference.ts";

await initBackend();

Deno.test("Linear: x·W + b with W [in, out], any leading axes, PyTorch-style init bounds", async () => {
  const rng = new Rng(1);
  const lin = new Linear(6, 3, { seed: 2 });
  assert.deepEqual(lin.weight.shape, [6, 3]);
  const bound = 1 / Math.sqrt(6);
  assert.ok((await lin.weight.data()).every((v) => Math.abs(v) <= bound));
  const x = randMat(4, 6, rng);
  const w = (await lin.weight.array()) as Mat;
  const b = (await lin.bias!.array()) as number[];
  const ref = matmul(x, w).map((row) => row.map((v, j) => v + b[j]));
  const y = lin.forward(tf.tensor3d([x.slice(0, 2), x.slice(2)]));
  assert.deepEqual(y.shape, [2, 2, 3]);
  assert.ok(maxAbsDiff(await y.data(), flat(ref)) < 1e-5);
  const normal = new Linear(200, 200, { init: { kind: "normal", std: 0.02 }, bias: false, seed: 3 });
  const nw = Array.from(await normal.weight.data());
  const std = Math.sqrt(nw.reduce((s, v) => s + v * v, 0) / nw.length);
  assert.ok(Math.abs(std - 0.02) < 0.001 && normal.bias === null);
  tf.dispose(y);
  lin.dispose();
  normal.dispose();
});

Deno.test("matMul2d's transpose-free gradient equals tfjs's matMul gradient; frozen b gets none", async () => {
  const a = tf.randomNormal([5, 7], 0, 1, "float32", 1) as tf.Tensor2D;
  const b = tf.variable(tf.randomNormal([7, 3], 0, 1, "float32", 2) as tf.Tensor2D);
  const loss = (mm: (p: tf.Tensor2D, q: tf.Tensor2D) => tf.Tensor2D) => (p: tf.Tensor, q: tf.Tensor) =>
    tf.sum(tf.sin(mm(p as tf.Tensor2D, q as tf.Tensor2D)));
  const before = liveTensors();
  const [ra, rb] = tf.grads(loss((p, q) => tf.matMul(p, q)))([a, b]);
  const [ga, gb] = tf.grads(loss(matMul2d))([a, b]);
  assert.ok(maxAbsDiff(await ga.data(), await ra.data()) < 1e-5);
  assert.ok(maxAbsDiff(await gb.data(), await rb.data()) < 1e-5);
  b.trainable = false;
  const [fa, fb] = tf.grads(loss(matMul2d))([a, b]);
  assert.ok(maxAbsDiff(await fa.data(), await ra.data()) < 1e-5);
  assert.ok((await fb.data()).every((v) => v === 0));
  tf.dispose([ra, rb, ga, gb, fa, fb]);
  assert.equal(liveTensors(), before);
  tf.dispose([a, b]);
});
