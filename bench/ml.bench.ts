/**
 * ML benchmark: matMul and attention throughput per available tfjs backend as a fraction of this
 * machine's peak, LoRA-linear forward+backward vs a plain dense layer of the same shape, and merged-LoRA
 * inference vs the base layer. Prints Markdown tables; ratios are measured in this run.
 */
import { BackendError, type BackendName, initBackend, nativeKernelStatus, tf } from "../ml/backend.ts";
import { installNativeKernels, uninstallNativeKernels } from "../ml/native/kernels.ts";
import { scaledDotProductAttention } from "../ml/attention.ts";
import { Linear } from "../ml/linear.ts";
import { LoraLinear } from "../ml/lora.ts";

interface CpuFacts {
  model: string;
  cores: number;
  ghz: number;
  flopsPerCycle: number;
  why: string;
}

/** Peak FP32 FLOP/s from /proc/cpuinfo: cores × GHz × FLOPs per cycle (from the SIMD/FMA flags). */
function cpuFacts(): CpuFacts {
  let text = "";
  try {
    text = Deno.readTextFileSync("/proc/cpuinfo");
  } catch {
    // not Linux: fall back to the runtime's count and a conservative guess
  }
  const field = (name: string) => text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const cores = (text.match(/^processor\s*:/gm) ?? []).length || navigator.hardwareConcurrency;
  let mhz = Number(field("cpu MHz")) || 0;
  try {
    mhz = Math.max(
      mhz,
      Number(Deno.readTextFileSync("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")) / 1000,
    );
  } catch {
    // no cpufreq in VMs: keep /proc/cpuinfo's MHz
  }
  const flags = new Set(field("flags").split(/\s+/));
  const amd = field("vendor_id") === "AuthenticAMD";
  let flopsPerCycle = 8, why = "SSE: 4 lanes × (mul + add)";
  if (flags.has("avx512f") && flags.has("fma") && !amd) {
    flopsPerCycle = 64;
    why = "AVX-512 + FMA (Intel): 2 FMA units × 16 lanes × 2";
  } else if (flags.has("fma") && flags.has("avx2")) {
    flopsPerCycle = 32;
    why = `${amd && flags.has("avx512f") ? "AVX-512 on AMD runs as 2×256-bit, so like " : ""}AVX2 + FMA: ` +
      "2 FMA units × 8 lanes × 2";
  } else if (flags.has("avx")) {
    flopsPerCycle = 16;
    why = "AVX: 8 lanes × (mul + add)";
  }
  return { model: field("model name") || "unknown CPU", cores, ghz: mhz / 1000, flopsPerCycle, why };
}

/** Median seconds of `fn` over `reps` runs after `warmup` runs; each run reads its result back. */
async function time(fn: () => tf.Tensor | tf.Tensor[], reps: number, warmup = 2): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const out = fn();
    const list = Array.isArray(out) ? out : [out];
    for (const t of list) await t.data();
    const dt = (performance.now() - t0) / 1000;
    tf.dispose(list);
    return dt;
  };
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const facts = cpuFacts();
const corePeak = facts.ghz * facts.flopsPerCycle; // GFLOP/s of one core
const machinePeak = corePeak * facts.cores;
console.log(`CPU: ${facts.model}, ${facts.cores} logical cores at ${facts.ghz.toFixed(3)} GHz.`);
console.log(
  `Peak FP32 = cores × GHz × FLOPs/cycle = ${facts.cores} × ${
    facts.ghz.toFixed(3)
  } × ${facts.flopsPerCycle} ` +
    `(${facts.why}) = ${machinePeak.toFixed(1)} GFLOP/s; one core ${corePeak.toFixed(1)} GFLOP/s. ` +
    "Stock tfjs-wasm runs on one thread under Deno, so the one-core column is its ceiling; the native " +
    "OpenBLAS kernels use every core (and boost clocks can exceed the nominal peak).\n",
);

/** A backend as measured: the wasm backend is measured with and without the native OpenBLAS kernels. */
interface Variant {
  label: string;
  backend: BackendName;
  native: boolean;
}
const variants: Variant[] = [];
for (const name of ["wasm", "cpu", "webgpu"] as const) {
  try {
    await initBackend(name);
    if (name === "wasm" && nativeKernelStatus()?.active) {
      variants.push({ label: "wasm + native OpenBLAS", backend: name, native: true });
    }
    variants.push({ label: name === "wasm" ? "wasm (stock kernels)" : name, backend: name, native: false });
  } catch (e) {
    console.log(
      `- ${name}: not available (${e instanceof BackendError ? e.code : ""} ${(e as Error).message})`,
    );
  }
}
console.log(`- native kernels: ${nativeKernelStatus()?.summary ?? "not installed"}\n`);

const fast = (v: Variant) => v.backend !== "cpu";
const rows: string[][] = [];
for (const variant of variants) {
  await initBackend(variant.backend);
  if (variant.backend === "wasm") {
    if (variant.native) installNativeKernels();
    else uninstallNativeKernels();
  }
  const sizes = fast(variant) ? [256, 512, 1024] : [128, 256];
  for (const n of sizes) {
    const x = tf.randomNormal([n, n], 0, 1, "float32", 1);
    const y = tf.randomNormal([n, n], 0, 1, "float32", 2);
    const s = await time(() => tf.matMul(x, y), fast(variant) ? 5 : 3);
    const gflops = (2 * n ** 3) / s / 1e9;
    rows.push([
      variant.label,
      `matMul ${n}×${n}×${n}`,
      (s * 1e3).toFixed(2),
      gflops.toFixed(2),
      pctOf(gflops, corePeak),
      pctOf(gflops, machinePeak),
    ]);
    tf.dispose([x, y]);
  }
  const [B, H, L, dh] = fast(variant) ? [4, 8, 128, 64] : [1, 4, 64, 64];
  const q = tf.randomNormal([B, H, L, dh], 0, 1, "float32", 3);
  const k = tf.randomNormal([B, H, L, dh], 0, 1, "float32", 4);
  const v = tf.randomNormal([B, H, L, dh], 0, 1, "float32", 5);
  const s = await time(() => {
    const r = scaledDotProductAttention(q, k, v, { causal: true });
    return [r.output, r.weights];
  }, fast(variant) ? 5 : 3);
  const flops = 2 * 2 * B * H * L * L * dh; // Q·Kᵀ and weights·V (softmax and masking not counted)
  const gflops = flops / s / 1e9;
  rows.push([
    variant.label,
    `attention B${B} H${H} L${L} d${dh} causal`,
    (s * 1e3).toFixed(2),
    gflops.toFixed(2),
    pctOf(gflops, corePeak),
    pctOf(gflops, machinePeak),
  ]);
  tf.dispose([q, k, v]);
}
installNativeKernels(); // the LoRA comparison below runs as training does

function pctOf(x: number, peak: number): string {
  return `${((100 * x) / peak).toFixed(1)}%`;
}

function table(header: string[], body: string[][]): void {
  console.log(`| ${header.join(" | ")} |`);
  console.log(`| ${header.map(() => "---").join(" | ")} |`);
  for (const r of body) console.log(`| ${r.join(" | ")} |`);
  console.log("");
}

console.log("### Throughput per backend\n");
table(["backend", "op", "ms (median)", "GFLOP/s", "of one-core peak", "of machine peak"], rows);

// LoRA vs dense on the default backend.
await initBackend();
const [tokens, d, k, r] = [512, 768, 768, 8];
const x = tf.randomNormal([tokens, d], 0, 1, "float32", 6);
const dense = new Linear(d, k, { seed: 1 });
const loraBase = new Linear(d, k, { seed: 1 });
const lora = new LoraLinear(loraBase, { rank: r, alpha: 16, seed: 2 });
lora.loraB.assign(tf.randomNormal([k, r], 0, 0.1, "float32", 7));
const plainBase = new Linear(d, k, { seed: 1 });

const denseStep = () => {
  const { value, grads } = tf.variableGrads(() => tf.sum(dense.forward(x)) as tf.Scalar, [
    dense.weight,
    dense.bias!,
  ]);
  return [value, ...Object.values(grads)];
};
const loraStep = () => {
  const { value, grads } = tf.variableGrads(() => tf.sum(lora.forward(x)) as tf.Scalar, [
    lora.loraA,
    lora.loraB,
  ]);
  return [value, ...Object.values(grads)];
};

/**
 * Interleaves A and B trials so drift on a shared machine hits both alike. Returns each side's best
 * trial (the least-disturbed estimate on a busy machine) and B's noise: (median − best) / best.
 */
async function compare(
  a: () => tf.Tensor | tf.Tensor[],
  b: () => tf.Tensor | tf.Tensor[],
  trials = 7,
  reps = 5,
) {
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < trials; i++) {
    ta.push(await time(a, reps, 1));
    tb.push(await time(b, reps, 1));
  }
  ta.sort((p, q) => p - q);
  tb.sort((p, q) => p - q);
  const noise = (v: number[]) => (v[Math.floor(v.length / 2)] - v[0]) / v[0];
  return { a: ta[0], b: tb[0], noise: Math.max(noise(ta), noise(tb)) };
}

const lines: string[][] = [];
const fb = await compare(denseStep, loraStep);
lines.push([
  `forward+backward, ${tokens}×${d} -> ${k}, r=${r}`,
  "dense (grads of W, b)",
  (fb.a * 1e3).toFixed(2),
  "LoRA (grads of A, B; W0 frozen)",
  (fb.b * 1e3).toFixed(2),
  (fb.b / fb.a).toFixed(2),
]);
const fwd = await compare(() => dense.forward(x), () => lora.forward(x));
lines.push([
  `forward, unmerged`,
  "dense",
  (fwd.a * 1e3).toFixed(2),
  "LoRA unmerged",
  (fwd.b * 1e3).toFixed(2),
  (fwd.b / fwd.a).toFixed(2),
]);
lora.merge();
const merged = await compare(() => plainBase.forward(x), () => lora.forward(x), 9);
lines.push([
  `inference, merged`,
  "base layer",
  (merged.a * 1e3).toFixed(2),
  "merged LoRA",
  (merged.b * 1e3).toFixed(2),
  (merged.b / merged.a).toFixed(2),
]);
console.log(`### LoRA linear vs dense (${tf.getBackend()} backend)\n`);
table(["case", "A", "A ms (best)", "B", "B ms (best)", "B / A"], lines);
console.log(
  `Merged-LoRA vs base (best of 9 interleaved trials each): ratio ${(merged.b / merged.a).toFixed(3)}; ` +
    `noise (median − best)/best = ${(100 * merged.noise).toFixed(1)}%. ` +
    `${
      Math.abs(merged.b / merged.a - 1) <= merged.noise
        ? "Equal within noise."
        : "Outside the measured noise."
    }`,
);
tf.dispose(x);
dense.dispose();
lora.dispose();
plainBase.dispose();
