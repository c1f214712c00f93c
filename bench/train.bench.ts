/**
 * `deno task bench train`: the local model's training and generation costs, measured in one run.
 * - full fine-tuning vs LoRA (q,v r=8) on the same model: training tokens/s, resident tensor memory
 *   (weights + AdamW state between steps) and peak tensor memory within a step (tfjs engine bytes,
 *   `tf.profile().peakBytes`), and their ratios;
 * - generation tokens/s with and without the KV cache (same tokens);
 * - half-precision storage: file size, load time and the logit error of F16/BF16 vs F32;
 * - where one training step spends its time (per-kernel profile, `ml/native/profile.ts`).
 * `BENCH_STEPS` (default 4) timed steps per case; the model is the committed local model's shape.
 */
import { initBackend, nativeKernelStatus, tf } from "../ml/backend.ts";
import { loadCheckpoint, saveCheckpoint, type StorageDtype } from "../ml/checkpoint.ts";
import { generateTokens } from "../ml/generate.ts";
import { LoraModel } from "../ml/lora.ts";
import { Gpt } from "../ml/model.ts";
import { profileKernels, profileTable } from "../ml/native/profile.ts";
import { AdamW } from "../ml/optim.ts";
import { Rng } from "../ml/random.ts";
import { type TokenBatch, trainStep } from "../ml/step.ts";
import { Tokenizer } from "../ml/tokenizer.ts";

await initBackend();
const steps = Number(Deno.env.get("BENCH_STEPS") ?? 4);
const CONFIG = { vocabSize: 1024, blockSize: 128, layers: 4, heads: 4, dModel: 128 };
const B = 8, T = 128;

console.log(`Backend: ${tf.getBackend()}; ${nativeKernelStatus()?.summary ?? ""}`);
console.log(
  `Model: V${CONFIG.vocabSize} T${CONFIG.blockSize} L${CONFIG.layers} H${CONFIG.heads} d${CONFIG.dModel}; batch ${B}×${T} tokens; ` +
    `${steps} timed steps per case (median); 2 shared vCPUs, numbers move with the machine's load.\n`,
);

function batch(seed: number): TokenBatch {
  const rng = new Rng(seed);
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * CONFIG.vocabSize));
  const targets = Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * CONFIG.vocabSize));
  return { batch: B, seq: T, ids, targets, weights: new Float32Array(B * T).fill(1) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

interface Case {
  label: string;
  trainable: number;
  total: number;
  ms: number;
  peak: number;
  resident: number;
}

async function measure(label: string, lora: boolean): Promise<Case> {
  const baseline = tf.memory().numBytes;
  const model = new Gpt(CONFIG, 1);
  if (lora) LoraModel.apply(model, { rank: 8, alpha: 16, targetModules: ["q", "v"] });
  const opt = new AdamW(
    model.namedParameters().filter(([, v]) => v.trainable).map(([name, variable]) => ({
      name,
      variable,
      decay: variable.rank >= 2,
    })),
  );
  const b = batch(2);
  await trainStep(model, opt, [b], 1e-3, 1);
  const resident = tf.memory().numBytes - baseline;
  const info = await tf.profile(async () => {
    await trainStep(model, opt, [b], 1e-3, 1);
  });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await trainStep(model, opt, [b], 1e-3, 1);
    times.push(performance.now() - t0);
  }
  const { trainable, total } = model.parameterCount();
  opt.dispose();
  model.dispose();
  return { label, trainable, total, ms: median(times), peak: info.peakBytes - baseline, resident };
}

// --- full fine-tuning vs LoRA -----------------------------------------------------------------------
const full = await measure("full fine-tuning", false);
const lora = await measure("LoRA q,v r=8", true);
console.log("### Training: full fine-tuning vs LoRA (same model, same batch)\n");
console.log(
  "| case | trainable / total | step ms | tokens/s | resident: weights + AdamW state | peak tensor memory in a step |\n" +
    "| --- | --- | --- | --- | --- | --- |",
);
for (const c of [full, lora]) {
  console.log(
    `| ${c.label} | ${c.trainable.toLocaleString("en-US")} / ${c.total.toLocaleString("en-US")} | ${
      c.ms.toFixed(0)
    } | ` +
      `${Math.round((B * T) / (c.ms / 1000)).toLocaleString("en-US")} | ${mib(c.resident)} | ${
        mib(c.peak)
      } |`,
  );
}
console.log(
  `| **LoRA / full** | ${(lora.trainable / full.trainable).toFixed(4)} | ${
    (lora.ms / full.ms).toFixed(2)
  } | ` +
    `${(full.ms / lora.ms).toFixed(2)} | ${(lora.resident / full.resident).toFixed(2)} | ${
      (lora.peak / full.peak).toFixed(2)
    } |\n`,
);

// --- generation -------------------------------------------------------------------------------------
{
  const model = new Gpt(CONFIG, 3);
  const prompt = Array.from({ length: 32 }, (_, i) => (i * 37) % CONFIG.vocabSize);
  const n = 64;
  const run = async (kvCache: boolean) => {
    const out: number[] = [];
    const t0 = performance.now();
    for await (
      const id of generateTokens(model, prompt, { maxNewTokens: n, kvCache, seed: 1, temperature: 1 })
    ) out.push(id);
    return { ms: performance.now() - t0, out };
  };
  await run(true);
  const cached = await run(true), plain = await run(false);
  console.log("### Generation (32-token prompt, 64 new tokens, batch 1)\n");
  console.log("| path | tokens/s | ms/token |\n| --- | --- | --- |");
  console.log(`| KV cache | ${(n / (cached.ms / 1000)).toFixed(1)} | ${(cached.ms / n).toFixed(1)} |`);
  console.log(
    `| no cache (re-run context) | ${(n / (plain.ms / 1000)).toFixed(1)} | ${(plain.ms / n).toFixed(1)} |`,
  );
  console.log(
    `| **speedup** | ${(plain.ms / cached.ms).toFixed(2)}× | same tokens: ${
      JSON.stringify(cached.out) === JSON.stringify(plain.out)
    } |\n`,
  );
  model.dispose();
}

// --- storage precision ------------------------------------------------------------------------------
{
  // The byte tokenizer's 257 ids: a checkpoint's tokenizer must match the model's vocabulary.
  const model = new Gpt({ ...CONFIG, vocabSize: 257 }, 4);
  const dir = await Deno.makeTempDir({ prefix: "bench-train-" });
  const ids = tf.tensor2d(
    [Array.from({ length: 64 }, (_, i) => (i * 13) % 257)],
    [1, 64],
    "int32",
  );
  const ref = await model.forward(ids).data();
  console.log(
    "### Half-precision storage (tfjs computes in float32; weights are stored in 16 bits and up-cast on load)\n",
  );
  console.log("| dtype | file | load ms | max |logit − F32 logit| |\n| --- | --- | --- | --- |");
  for (const dtype of ["F32", "F16", "BF16"] as StorageDtype[]) {
    await saveCheckpoint(`${dir}/${dtype}`, model, Tokenizer.bytes(), dtype);
    const t0 = performance.now();
    const { model: m } = await loadCheckpoint(`${dir}/${dtype}`);
    const loadMs = performance.now() - t0;
    const size = (await Deno.stat(`${dir}/${dtype}/model.safetensors`)).size;
    const got = await m.forward(ids).data();
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
    m.dispose();
    console.log(`| ${dtype} | ${mib(size)} | ${loadMs.toFixed(0)} | ${err.toExponential(2)} |`);
  }
  console.log("");
  model.dispose();
  await Deno.remove(dir, { recursive: true });
}

// --- where one step goes ----------------------------------------------------------------------------
{
  const model = new Gpt(CONFIG, 5);
  const opt = new AdamW(
    model.namedParameters().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
  );
  const b = batch(6);
  await trainStep(model, opt, [b], 1e-3, 1);
  const { profile } = await profileKernels(() => trainStep(model, opt, [b], 1e-3, 1));
  console.log("### Where one full training step spends its time (kernel ms, exclusive)\n");
  console.log(profileTable([{ label: "step", profile }], 14));
  opt.dispose();
  model.dispose();
}
