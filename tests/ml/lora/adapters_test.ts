import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../../ml/backend.ts";
import { Linear } from "../../../ml/linear.ts";
import { LoraAdapters, LoraError, LoraModel, MultiLoraLinear } from "../../../ml/lora.ts";
import { TinyModel } from "../_tiny_model.ts";

await initBackend();

const D = 8;
const input = () => tf.randomNormal([2, 3, D], 0, 1, "float32", 31) as tf.Tensor3D;

async function run(m: TinyModel, x: tf.Tensor3D): Promise<Float32Array> {
  const y = m.forward(x);
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}

/** Saves two different trained-looking adapters of TinyModel(D) with LoraModel; returns their outputs on x. */
async function twoSavedAdapters(dir: string, x: tf.Tensor3D): Promise<{ a: Float32Array; b: Float32Array }> {
  const outputs: Float32Array[] = [];
  for (
    const [name, config, seed] of [
      ["a", { rank: 2, alpha: 4, targetModules: ["q", "v"] }, 1],
      ["b", { rank: 4, alpha: 8, targetModules: ["fc", "head"] }, 2],
    ] as const
  ) {
    const m = new TinyModel(D);
    const lora = LoraModel.apply(m, { ...config, targetModules: [...config.targetModules] }, { seed });
    lora.layers().forEach(([, l], i) =>
      l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.3, "float32", seed * 10 + i))
    );
    await lora.save(`${dir}/${name}`);
    outputs.push(await run(m, x));
    m.dispose();
  }
  return { a: outputs[0], b: outputs[1] };
}

Deno.test("named adapters: load two PEFT adapters over one base and switch per request, base never reloaded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "adapters-" });
  try {
    const x = input();
    const expected = await twoSavedAdapters(dir, x);
    const model = new TinyModel(D);
    const base = await run(model, x);
    const baseWeights = new Map(model.namedParameters());
    const baseData = new Map<string, Float32Array>();
    for (const [n, v] of baseWeights) baseData.set(n, Float32Array.from(await v.data()));

    const adapters = new LoraAdapters(model);
    await adapters.loadAdapter("a", `${dir}/a`);
    await adapters.loadAdapter("b", `${dir}/b`);
    assert.deepEqual(adapters.adapters(), ["a", "b"]);
    assert.equal(adapters.activeAdapter, "a"); // the first one added, as in PEFT
    assert.deepEqual(await run(model, x), expected.a);

    const live = liveTensors();
    adapters.setAdapter("b");
    assert.deepEqual(await run(model, x), expected.b);
    adapters.setAdapter("a");
    assert.deepEqual(await run(model, x), expected.a);
    assert.deepEqual(adapters.withAdaptersDisabled(() => tf.tidy(() => model.forward(x).dataSync())), base);
    assert.equal(liveTensors(), live, "switching allocates nothing");

    // The base layers are the very same variables, untouched.
    const q = model.getLinear("blocks.0.attn.q") as MultiLoraLinear;
    assert.ok(q instanceof MultiLoraLinear);
    assert.equal(q.base.weight, baseWeights.get("blocks.0.attn.q.weight"));
    for (const [n, v] of baseWeights) assert.deepEqual(await v.data(), baseData.get(n), n);

    // Only the active adapter trains.
    adapters.setAdapter("b");
    const trainable = model.namedParameters().filter(([, v]) => v.trainable).map(([n]) => n).sort();
    assert.deepEqual(trainable, [
      "blocks.0.mlp.fc.lora_A.b.weight",
      "blocks.0.mlp.fc.lora_B.b.weight",
      "blocks.1.mlp.fc.lora_A.b.weight",
      "blocks.1.mlp.fc.lora_B.b.weight",
      "head.lora_A.b.weight",
      "head.lora_B.b.weight",
    ]);

    // Saved again, an adapter is the same PEFT files.
    await adapters.saveAdapter("a", `${dir}/a-again`);
    assert.deepEqual(
      await Deno.readFile(`${dir}/a-again/adapter_model.safetensors`),
      await Deno.readFile(`${dir}/a/adapter_model.safetensors`),
    );

    // Deleting frees exactly its A and B (3 layers × 2 for "b"); merge_and_unload of "a" gives its output.
    const before = liveTensors();
    adapters.deleteAdapter("b");
    assert.equal(liveTensors(), before - 6);
    assert.equal(adapters.activeAdapter, null);
    assert.deepEqual(await run(model, x), base);
    adapters.setAdapter("a");
    const merged = adapters.unload("a");
    assert.ok(merged.namedLinears().every(([, l]) => l instanceof Linear));
    const out = await run(merged, x);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected.a[i]));
    assert.ok(worst < 1e-5, `${worst}`);
    assert.ok(merged.namedParameters().every(([, v]) => v.trainable), "trainability restored");
    x.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("named adapters: bad names, duplicates, unknown adapters and mismatched files are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "adapters-" });
  try {
    const model = new TinyModel(D);
    const adapters = new LoraAdapters(model);
    const code = (c: string) => (e: unknown) => e instanceof LoraError && e.code === c;
    assert.throws(
      () => adapters.addAdapter("bad name", { rank: 2, alpha: 2, targetModules: ["q"] }),
      code("LORA_CONFIG_INVALID"),
    );
    adapters.addAdapter("x", { rank: 2, alpha: 2, targetModules: ["q"] });
    assert.throws(
      () => adapters.addAdapter("x", { rank: 2, alpha: 2, targetModules: ["q"] }),
      code("LORA_ALREADY_APPLIED"),
    );
    assert.throws(() => adapters.setAdapter("nope"), code("LORA_ADAPTER_MISMATCH"));
    assert.throws(
      () => adapters.addAdapter("y", { rank: 2, alpha: 2, targetModules: ["zzz"] }),
      code("LORA_NO_TARGETS"),
    );
    assert.throws(
      () => adapters.addAdapter("y", { rank: 2, alpha: 2, targetModules: ["q"], bias: "all" }),
      code("LORA_CONFIG_INVALID"),
    );
    // An adapter saved for other shapes: refused, and nothing of it stays.
    const other = new TinyModel(16, 2);
    await LoraModel.apply(other, { rank: 2, alpha: 2, targetModules: ["q"] }).save(`${dir}/other`);
    const live = liveTensors();
    await assert.rejects(() => adapters.loadAdapter("other", `${dir}/other`), code("LORA_ADAPTER_MISMATCH"));
    assert.equal(liveTensors(), live);
    assert.deepEqual(adapters.adapters(), ["x"]);
    other.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
