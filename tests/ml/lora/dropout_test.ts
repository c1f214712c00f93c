import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../../ml/backend.ts";
import { Linear } from "../../../ml/linear.ts";
import { LoraModel } from "../../../ml/lora.ts";
import { Module } from "../../../ml/module.ts";

await initBackend();

const D = 16;

/** Two parallel linears fed the same input, as q and v are in attention. */
class Twin extends Module {
  constructor() {
    super();
    this.registerLinear("left", new Linear(D, D, { seed: 1 }));
    this.registerLinear("right", new Linear(D, D, { seed: 2 }));
  }
  outputs(x: tf.Tensor2D, seed?: number): tf.Tensor[] {
    return ["left", "right"].map((n) => this.linear(n).forward(x, { training: true, seed }));
  }
}

/**
 * With W0 = 0, b = 0, A = B = I and x = 1, a layer's output is s·dropout(1): its dropout mask, scaled.
 * Returns each layer's mask as 0/1 values.
 */
async function masks(model: Twin, x: tf.Tensor2D, seed?: number): Promise<number[][]> {
  const ys = model.outputs(x, seed);
  const out = await Promise.all(ys.map(async (y) => Array.from(await y.data()).map((v) => (v > 0 ? 1 : 0))));
  tf.dispose(ys);
  return out;
}

Deno.test("LoRA dropout: every adapted layer draws its own mask (PEFT's per-layer nn.Dropout)", async () => {
  const model = new Twin();
  const lora = LoraModel.apply(model, { rank: D, alpha: D, targetModules: ["left", "right"], dropout: 0.5 });
  for (const [, l] of lora.layers()) {
    l.base.weight.assign(tf.zeros([D, D]));
    l.base.bias!.assign(tf.zeros([D]));
    l.loraA.assign(tf.eye(D));
    l.loraB.assign(tf.eye(D));
  }
  const x = tf.ones([32, D]) as tf.Tensor2D;
  const before = liveTensors();
  const [left, right] = await masks(model, x, 7);
  const kept = (m: number[]) => m.reduce((a, b) => a + b, 0) / m.length;
  assert.ok(Math.abs(kept(left) - 0.5) < 0.1 && Math.abs(kept(right) - 0.5) < 0.1);
  const same = left.filter((v, i) => v === right[i]).length / left.length;
  assert.ok(same < 0.6, `the two layers' masks agree on ${(100 * same).toFixed(1)}% of positions`);
  // Seeded passes are reproducible per layer, and another pass seed draws other masks.
  assert.deepEqual(await masks(model, x, 7), [left, right]);
  const [left8] = await masks(model, x, 8);
  assert.notDeepEqual(left8, left);
  assert.equal(liveTensors(), before);
  x.dispose();
  model.dispose();
});
