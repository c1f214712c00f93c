import assert from "node:assert/strict";
import { initBackend } from "../../ml/backend.ts";
import {
  CheckpointError,
  encodeFloats,
  floatToHalf,
  loadCheckpoint,
  saveCheckpoint,
} from "../../ml/checkpoint.ts";
import { LoraModel } from "../../ml/lora.ts";
import { Gpt } from "../../ml/model.ts";
import { toFloat32 } from "../../ml/safetensors.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";

await initBackend();

const CONFIG = { vocabSize: 257, blockSize: 16, layers: 2, heads: 2, dModel: 16 };

async function params(model: Gpt): Promise<Map<string, Float32Array>> {
  return new Map(
    await Promise.all(
      model.namedParameters().map(async ([n, v]) => [n, (await v.data()) as Float32Array] as const),
    ),
  );
}

Deno.test("checkpoint: half-precision encoders round to nearest even", () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(-2), 0xc000);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(1e6), 0x7c00);
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, "tie rounds to even");
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, "tie rounds to even (up)");
  const values = Float32Array.from([0, 1, -1.5, 0.1, 3.14159, -1e-3, 1e-6]);
  for (const dtype of ["F16", "BF16"] as const) {
    const back = toFloat32(encodeFloats([values.length], values, dtype));
    values.forEach((v, i) =>
      assert.ok(
        Math.abs(back[i] - v) <= Math.abs(v) * (dtype === "F16" ? 2 ** -11 : 2 ** -8) + 6e-8,
        `${dtype} ${v} -> ${back[i]}`,
      )
    );
  }
});

Deno.test("checkpoint: F32 save/load is bit-exact; F16 halves the file within half-precision error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt-" });
  const model = new Gpt(CONFIG, 11);
  const tok = Tokenizer.bytes();
  await saveCheckpoint(`${dir}/f32`, model, tok, "F32");
  await saveCheckpoint(`${dir}/f16`, model, tok, "F16");
  const a = await loadCheckpoint(`${dir}/f32`);
  const b = await loadCheckpoint(`${dir}/f16`);
  assert.deepEqual(await params(a.model), await params(model));
  assert.equal(b.dtype, "F16");
  const orig = await params(model), half = await params(b.model);
  for (const [n, v] of orig) {
    const h = half.get(n)!;
    for (let i = 0; i < v.length; i++) {
      assert.ok(Math.abs(h[i] - v[i]) <= Math.abs(v[i]) * 2 ** -11 + 6e-8, n);
    }
  }
  const s32 = (await Deno.stat(`${dir}/f32/model.safetensors`)).size,
    s16 = (await Deno.stat(`${dir}/f16/model.safetensors`)).size;
  assert.ok(s16 < s32 * 0.55, `${s16} vs ${s32}`);
  assert.equal(a.tokenizer.vocabSize, 257);
  for (const m of [model, a.model, b.model]) m.dispose();
  await assert.rejects(
    loadCheckpoint(`${dir}/missing`),
    (e) => e instanceof CheckpointError && e.code === "CHECKPOINT_NOT_FOUND",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: an adapter folder is applied and merged on load (same outputs as the unmerged LoRA model)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt-" });
  const model = new Gpt(CONFIG, 12);
  await saveCheckpoint(dir, model, Tokenizer.bytes(), "F32");
  const lora = LoraModel.apply(model, { rank: 2, alpha: 4, targetModules: ["q", "v"] }, { seed: 3 });
  for (const [, l] of lora.layers()) l.loraB.assign(l.loraB.add(0.05));
  await lora.save(`${dir}/adapter`);
  const { tf } = await import("../../ml/backend.ts");
  const ids = tf.tensor2d([[5, 6, 7, 8]], [1, 4], "int32");
  const expected = await model.forward(ids).data();
  const loaded = await loadCheckpoint(dir);
  assert.ok(loaded.adapter);
  assert.ok(loaded.model.namedLinears().every(([, l]) => !("loraA" in l)), "merged: plain linears");
  const got = await loaded.model.forward(ids).data();
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
  assert.ok(worst < 1e-4, `max difference ${worst}`);
  const base = await loadCheckpoint(dir, { adapter: false });
  assert.ok(!base.adapter);
  for (const m of [model, loaded.model, base.model]) m.dispose();
  ids.dispose();
  await Deno.remove(dir, { recursive: true });
});
