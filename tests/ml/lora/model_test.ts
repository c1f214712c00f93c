import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../../ml/backend.ts";
import { Linear } from "../../../ml/linear.ts";
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  LoraError,
  LoraLinear,
  LoraModel,
  PEFT_KEY_PREFIX,
} from "../../../ml/lora.ts";
import { decodeSafetensors, encodeSafetensors, f32Tensor, toFloat32 } from "../../../ml/safetensors.ts";
import { maxAbsDiff } from "../_reference.ts";
import { TinyModel } from "../_tiny_model.ts";

await initBackend();

const D = 8;
const input = () => tf.randomNormal([2, 3, D], 0, 1, "float32", 21) as tf.Tensor3D;

async function run(m: TinyModel, x: tf.Tensor3D): Promise<Float32Array> {
  const y = m.forward(x);
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}

/** Gives every B a random value so adapters change outputs. */
function randomizeB(lora: LoraModel, seed: number): void {
  lora.layers().forEach(([, l], i) =>
    l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.3, "float32", seed + i))
  );
}

Deno.test("apply wraps exactly the targets, freezes the rest and reports parameter counts", async () => {
  const m = new TinyModel(D);
  const x = input();
  const before = await run(m, x);
  const total0 = m.parameterCount().total;
  const lora = LoraModel.apply(m, { rank: 2, alpha: 4, targetModules: ["q", "v"] });
  const rep = lora.report();
  assert.deepEqual(rep.targets, ["blocks.0.attn.q", "blocks.0.attn.v", "blocks.1.attn.q", "blocks.1.attn.v"]);
  const added = 4 * 2 * (D + D);
  assert.equal(rep.added, added);
  assert.equal(rep.trainable, added);
  assert.equal(rep.total, total0 + added);
  assert.equal(rep.trainablePercent, (100 * added) / (total0 + added));
  assert.ok(m.getLinear("blocks.1.attn.v") instanceof LoraLinear);
  assert.ok(m.getLinear("blocks.1.attn.k") instanceof Linear);
  assert.deepEqual(
    m.namedParameters().filter(([, v]) => v.trainable).map(([n]) => n),
    rep.targets.flatMap((t) => [`${t}.lora_A.weight`, `${t}.lora_B.weight`]),
  );
  assert.deepEqual(await run(m, x), before); // B = 0
  randomizeB(lora, 1);
  assert.ok(maxAbsDiff(await run(m, x), before) > 1e-3); // the model's forward goes through the adapters
  x.dispose();
  m.dispose();
});

Deno.test("bias modes: none, all, lora_only", () => {
  const trainableBiases = (bias: "none" | "all" | "lora_only") => {
    const m = new TinyModel(D);
    LoraModel.apply(m, { rank: 1, alpha: 1, targetModules: ["fc"], bias });
    const names = m.namedParameters().filter(([n, v]) => v.trainable && n.endsWith("bias")).map(([n]) => n);
    m.dispose();
    return names;
  };
  assert.deepEqual(trainableBiases("none"), []);
  assert.deepEqual(trainableBiases("lora_only"), [
    "blocks.0.mlp.fc.base_layer.bias",
    "blocks.1.mlp.fc.base_layer.bias",
  ]);
  assert.equal(trainableBiases("all").length, 2 * 6 + 1);
});

Deno.test("apply refuses missing targets, oversized ranks and double application", () => {
  const m = new TinyModel(D);
  const is = (code: string) => (e: unknown) => e instanceof LoraError && e.code === code;
  assert.throws(
    () => LoraModel.apply(m, { rank: 2, alpha: 1, targetModules: ["nope"] }),
    is("LORA_NO_TARGETS"),
  );
  assert.throws(
    () => LoraModel.apply(m, { rank: 6, alpha: 1, targetModules: ["head"] }),
    is("LORA_RANK_TOO_LARGE"),
  );
  assert.throws(
    () => LoraModel.apply(m, { rank: 0, alpha: 1, targetModules: ["q"] }),
    is("LORA_CONFIG_INVALID"),
  );
  assert.ok(m.namedLinears().every(([, l]) => l instanceof Linear)); // nothing half-applied
  LoraModel.apply(m, { rank: 2, alpha: 1, targetModules: ["q"] });
  assert.throws(
    () => LoraModel.apply(m, { rank: 2, alpha: 1, targetModules: ["q"] }),
    is("LORA_ALREADY_APPLIED"),
  );
  m.dispose();
});

Deno.test("mergeAll/unmergeAll, disable, mergeAndUnload and unload at model level", async () => {
  const m = new TinyModel(D);
  const x = input();
  const base = await run(m, x);
  const w0 = await (m.getLinear("blocks.0.attn.q") as Linear).weight.data();
  const lora = LoraModel.apply(m, { rank: 2, alpha: 8, targetModules: /.*\.(q|v|fc)/ });
  randomizeB(lora, 2);
  const adapted = await run(m, x);
  lora.mergeAll();
  assert.ok(maxAbsDiff(await run(m, x), adapted) < 1e-5);
  lora.unmergeAll();
  assert.ok(maxAbsDiff(await (m.getLinear("blocks.0.attn.q") as LoraLinear).base.weight.data(), w0) < 1e-6);
  const disabled = lora.withAdaptersDisabled(() => m.forward(x));
  assert.ok(maxAbsDiff(await disabled.data(), base) < 1e-5);
  disabled.dispose();
  assert.ok(maxAbsDiff(await run(m, x), adapted) < 1e-6);
  const merged = lora.mergeAndUnload();
  assert.ok(merged.namedLinears().every(([, l]) => l instanceof Linear));
  assert.ok(maxAbsDiff(await run(merged, x), adapted) < 1e-5);
  assert.ok(merged.namedParameters().every(([, v]) => v.trainable)); // trainability restored
  const m2 = new TinyModel(D);
  const l2 = LoraModel.apply(m2, { rank: 2, alpha: 8, targetModules: ["q"] });
  randomizeB(l2, 3);
  l2.mergeAll();
  l2.unload();
  assert.ok(maxAbsDiff(await run(m2, x), base) < 1e-5);
  x.dispose();
  m.dispose();
  m2.dispose();
});

Deno.test("save -> load round trip is bit-exact and in PEFT's layout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lora-adapter-" });
  try {
    const m = new TinyModel(D);
    const lora = LoraModel.apply(m, { rank: 3, alpha: 6, targetModules: ["q", "fc"], bias: "lora_only" });
    randomizeB(lora, 4);
    await lora.save(dir);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/${ADAPTER_CONFIG_FILE}`));
    assert.equal(config.peft_type, "LORA");
    assert.equal(config.r, 3);
    assert.equal(config.lora_alpha, 6);
    assert.deepEqual(config.target_modules, ["q", "fc"]);
    const file = decodeSafetensors(await Deno.readFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`));
    assert.equal(file.metadata.format, "pt");
    const keys = [...file.tensors.keys()].sort();
    assert.ok(keys.includes(`${PEFT_KEY_PREFIX}blocks.0.attn.q.lora_A.weight`));
    assert.ok(keys.includes(`${PEFT_KEY_PREFIX}blocks.1.mlp.fc.base_layer.bias`));
    assert.equal(keys.length, 4 * 2 + 4); // A and B of 4 targets, plus their 4 biases (lora_only)
    const fcA = file.tensors.get(`${PEFT_KEY_PREFIX}blocks.0.mlp.fc.lora_A.weight`)!;
    const fcB = file.tensors.get(`${PEFT_KEY_PREFIX}blocks.0.mlp.fc.lora_B.weight`)!;
    assert.equal(fcA.dtype, "F32");
    assert.deepEqual(fcA.shape, [3, D]); // [r, in]
    assert.deepEqual(fcB.shape, [4 * D, 3]); // [out, r]
    // PyTorch's ΔW = s·B·A is [out, in]; its transpose must equal our [in, out] delta.
    const a = toFloat32(fcA), b = toFloat32(fcB);
    const layer = m.getLinear("blocks.0.mlp.fc") as LoraLinear;
    const delta = await layer.delta().data();
    let worst = 0;
    for (let o = 0; o < 4 * D; o++) {
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += b[o * 3 + k] * a[k * D + i];
        worst = Math.max(worst, Math.abs(layer.scaling * s - delta[i * 4 * D + o]));
      }
    }
    assert.ok(worst < 1e-5);

    const x = input();
    const expected = await run(m, x);
    const fresh = new TinyModel(D);
    const loaded = await LoraModel.load(fresh, dir);
    assert.deepEqual(await run(fresh, x), expected);
    for (const [name, t] of await loaded.adapterTensors()) {
      assert.deepEqual([...t.data], [...file.tensors.get(name)!.data], name);
    }
    const reloadedBytes = await Deno.readFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`);
    await loaded.save(`${dir}/again`);
    assert.deepEqual(await Deno.readFile(`${dir}/again/${ADAPTER_WEIGHTS_FILE}`), reloadedBytes);
    x.dispose();
    m.dispose();
    fresh.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loading an adapter into a model of other shapes fails with LORA_ADAPTER_MISMATCH", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lora-adapter-" });
  try {
    const m = new TinyModel(D);
    await LoraModel.apply(m, { rank: 2, alpha: 2, targetModules: ["q"] }).save(dir);
    const other = new TinyModel(16, 2);
    await assert.rejects(
      () => LoraModel.load(other, dir),
      (e: unknown) => e instanceof LoraError && e.code === "LORA_ADAPTER_MISMATCH",
    );
    m.dispose();
    other.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an adapter file with lora_B biases (lora_bias) is refused, not loaded without them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lora-adapter-" });
  try {
    const m = new TinyModel(D);
    const lora = LoraModel.apply(m, { rank: 2, alpha: 2, targetModules: ["q"] });
    await lora.save(dir);
    const file = decodeSafetensors(await Deno.readFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`)).tensors;
    const key = `${PEFT_KEY_PREFIX}blocks.0.attn.q.lora_B.bias`;
    file.set(key, f32Tensor([D], new Float32Array(D).fill(0.5)));
    await Deno.writeFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`, encodeSafetensors(file, { format: "pt" }));
    const other = new TinyModel(D);
    const live = liveTensors();
    await assert.rejects(
      () => LoraModel.load(other, dir),
      (e: unknown) => e instanceof LoraError && e.code === "LORA_ADAPTER_MISMATCH" && e.message.includes(key),
    );
    assert.equal(liveTensors(), live); // the half-applied adapter was unloaded again
    assert.ok(other.namedLinears().every(([, l]) => l instanceof Linear));
    m.dispose();
    other.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training steps change only adapters; no tensors leak across train, merge and unload", async () => {
  const m = new TinyModel(D);
  const x = input();
  const frozen: Array<[string, Float32Array]> = [];
  for (const [n, v] of m.namedParameters()) frozen.push([n, (await v.data()) as Float32Array]);
  const lora = LoraModel.apply(m, { rank: 2, alpha: 4, targetModules: ["q", "v"], dropout: 0.1 });
  const opt = tf.train.adam(0.01);
  const live = liveTensors();
  for (let step = 0; step < 3; step++) {
    const cost = opt.minimize(
      () => tf.mean(tf.square(m.forward(x))) as tf.Scalar,
      true,
      lora.trainableVariables(),
    );
    cost?.dispose();
  }
  for (const [name, data] of frozen) {
    const now = m.namedParameters().find(([n]) =>
      n === name || n === name.replace(/\.(weight|bias)$/, ".base_layer.$1")
    );
    assert.deepEqual(await now![1].data(), data, name);
  }
  const optimizerState = liveTensors() - live;
  lora.mergeAll();
  lora.unmergeAll();
  lora.mergeAndUnload();
  assert.equal(liveTensors() - live, optimizerState - 4 * 2); // the 4 adapters' A and B were released
  opt.dispose();
  x.dispose();
  m.dispose();
});
