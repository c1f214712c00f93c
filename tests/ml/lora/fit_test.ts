import assert from "node:assert/strict";
import { initBackend, tf } from "../../../ml/backend.ts";
import { Linear } from "../../../ml/linear.ts";
import { LoraLinear } from "../../../ml/lora.ts";
import { normalArray, Rng } from "../../../ml/random.ts";

await initBackend();

Deno.test("a rank-2 LoRA on a frozen random base learns a rank-2 target update", async () => {
  const d = 32, r = 2, n = 256;
  const rng = new Rng(42);
  const base = new Linear(d, d, { seed: 42 });
  const w0 = await base.weight.data();
  // Target: W* = W0 + U·V with U [d, r], V [r, d].
  const target = tf.tidy(() => {
    const u = tf.tensor2d(normalArray(d * r, 0, 0.5, rng), [d, r]);
    const v = tf.tensor2d(normalArray(r * d, 0, 0.5, rng), [r, d]);
    return tf.add(base.weight, tf.matMul(u, v)) as tf.Tensor2D;
  });
  const x = tf.tensor2d(normalArray(n * d, 0, 1, rng), [n, d]);
  const y = tf.tidy(() => tf.add(tf.matMul(x, target), base.bias!));
  const layer = new LoraLinear(base, { rank: r, alpha: r, seed: 7 });
  const loss = () => tf.mean(tf.square(tf.sub(layer.forward(x), y))) as tf.Scalar;
  const read = async () => {
    const l = loss();
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  const initial = await read();
  const opt = tf.train.adam(0.03);
  for (let step = 0; step < 300; step++) opt.minimize(loss, false, [layer.loraA, layer.loraB]);
  const final = await read();
  console.log(`LoRA fit: loss ${initial.toExponential(3)} -> ${final.toExponential(3)}`);
  assert.ok(final < 1e-3 * initial, `loss ${initial} -> ${final}`);
  assert.deepEqual(await base.weight.data(), w0); // base stayed frozen
  tf.dispose([target, x, y]);
  opt.dispose();
  layer.dispose();
});
