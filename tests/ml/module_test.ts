import assert from "node:assert/strict";
import { initBackend, tf } from "../../ml/backend.ts";
import { MultiHeadAttention } from "../../ml/attention.ts";
import { Linear } from "../../ml/linear.ts";
import { Module, ModuleError } from "../../ml/module.ts";
import { maxAbsDiff } from "./_reference.ts";

await initBackend();

class Block extends Module {
  readonly attn: MultiHeadAttention;
  constructor(seed: number) {
    super();
    this.attn = this.registerModule("attn", new MultiHeadAttention({ dModel: 4, heads: 2, seed }));
    this.registerLinear("fc", new Linear(4, 6, { seed }));
  }
}

class Tiny extends Module {
  readonly blocks: Block[] = [];
  constructor() {
    super();
    for (let i = 0; i < 2; i++) this.blocks.push(this.registerModule(`blocks.${i}`, new Block(i)));
    this.registerParameter("wte", tf.variable(tf.zeros([3, 4])));
  }
}

Deno.test("module tree exposes dotted names for linears and parameters", () => {
  const m = new Tiny();
  assert.deepEqual(m.namedLinears().map(([n]) => n), [
    "blocks.0.fc",
    "blocks.0.attn.q",
    "blocks.0.attn.k",
    "blocks.0.attn.v",
    "blocks.0.attn.o",
    "blocks.1.fc",
    "blocks.1.attn.q",
    "blocks.1.attn.k",
    "blocks.1.attn.v",
    "blocks.1.attn.o",
  ]);
  const names = m.namedParameters().map(([n]) => n);
  assert.ok(names.includes("wte"));
  assert.ok(names.includes("blocks.1.attn.v.weight") && names.includes("blocks.1.attn.v.bias"));
  assert.deepEqual(m.parameterCount(), {
    total: 12 + 2 * (4 * 6 + 6 + 4 * (16 + 4)),
    trainable: 232,
  });
  m.dispose();
});

Deno.test("replaceLinear swaps the layer the forward pass calls through", async () => {
  const m = new Tiny();
  const x = tf.ones([1, 2, 4]) as tf.Tensor3D;
  const zero = Linear.fromTensors(tf.zeros([4, 4]) as tf.Tensor2D, tf.zeros([4]) as tf.Tensor1D);
  const before = m.blocks[0].attn.forward(x);
  assert.ok(maxAbsDiff(await before.output.data(), new Array(8).fill(0)) > 0);
  const old = m.replaceLinear("blocks.0.attn.o", zero);
  assert.ok(old instanceof Linear);
  assert.equal(m.getLinear("blocks.0.attn.o"), zero);
  assert.equal(m.blocks[0].attn.linear("o"), zero);
  const after = m.blocks[0].attn.forward(x);
  assert.equal(maxAbsDiff(await after.output.data(), new Array(8).fill(0)), 0);
  assert.throws(
    () => m.replaceLinear("blocks.7.attn.q", zero),
    (e: unknown) => e instanceof ModuleError && e.code === "MODULE_NOT_FOUND",
  );
  tf.dispose([x, before.output, before.weights, after.output, after.weights]);
  old.dispose();
  m.dispose();
});

Deno.test("duplicate names are refused", () => {
  class Bad extends Module {
    constructor() {
      super();
      this.registerLinear("x", new Linear(2, 2));
      this.registerLinear("x", new Linear(2, 2));
    }
  }
  assert.throws(
    () => new Bad(),
    (e: unknown) => e instanceof ModuleError && e.code === "MODULE_DUPLICATE_NAME",
  );
});
