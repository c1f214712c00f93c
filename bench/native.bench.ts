/**
 * `deno task bench native`: OpenBLAS kernels vs stock tfjs wasm, measured side by side in one run.
 * - matMul 1024² GFLOP/s (plain and transposeA, as used by gradients) as a fraction of the CPU peak;
 * - training step of the fixture transformer (small and larger config): stock vs native, and native vs
 *   PyTorch (`bench/torch_reference.py --serve`) alternating step by step in this run, with 1 and 2 threads
 *   on both sides;
 * - per-kernel profile of one small training step, stock vs native.
 * `BENCH_STEPS` (default 5) sets timed steps per path; the large stock path runs one step (about a minute).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {
  installNativeKernels,
  NATIVE_KERNEL_NAMES,
  type NativeKernelName,
  type NativeStatus,
  uninstallNativeKernels,
} from "../ml/native/kernels.ts";
import { profileKernelsBest, profileTable } from "../ml/native/profile.ts";
import { buildFixture, LARGE, SMALL } from "./transformer_fixture.ts";
import { startTorchReference } from "./_lib/torch_reference.ts";

if (!(await tf.setBackend("wasm"))) throw new Error("tfjs wasm backend failed to start");
const steps = Number(Deno.env.get("BENCH_STEPS") ?? 5);

function cpuPeak(): { gflops: number; text: string } {
  const info = Deno.readTextFileSync("/proc/cpuinfo");
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? 0);
  const flags = /flags\s*:(.*)/.exec(info)?.[1] ?? "";
  const model = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? "unknown CPU";
  const cores = navigator.hardwareConcurrency;
  const fma = flags.includes(" fma") && flags.includes(" avx2");
  const perCycle = fma ? 32 : 8; // 2 FMA units × 8 fp32 lanes × 2 FLOP (AVX2+FMA); else 1 add + 1 mul × 4 lanes
  const gflops = (cores * mhz * perCycle) / 1000;
  return {
    gflops,
    text:
      `${model}, ${cores} cores × ${
        (mhz / 1000).toFixed(2)
      } GHz (/proc/cpuinfo) × ${perCycle} fp32 FLOP/cycle ` +
      `(${fma ? "AVX2+FMA: 2 FMA units × 8 lanes × 2" : "no FMA"}) = **${gflops.toFixed(0)} GFLOP/s**` +
      `${
        flags.includes("avx512f")
          ? " (AVX-512 present; boost clocks above the listed MHz can exceed this)"
          : ""
      }`,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function matmulGflops(n: number, transposeA: boolean, reps: number): number {
  return tf.tidy(() => {
    const a = tf.randomNormal([n, n], 0, 1, "float32", 1), b = tf.randomNormal([n, n], 0, 1, "float32", 2);
    tf.matMul(a, b, transposeA).dispose();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const y = tf.matMul(a, b, transposeA); // the wasm backend computes synchronously
      times.push(performance.now() - t0);
      y.dispose();
    }
    return (2 * n ** 3) / median(times) / 1e6;
  });
}

function stepMs(model: { step(): number }, warm: number, timed: number): { ms: number; loss: number } {
  let loss = 0;
  for (let i = 0; i < warm; i++) loss = model.step();
  const times: number[] = [];
  for (let i = 0; i < timed; i++) {
    const t0 = performance.now();
    loss = model.step();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), loss };
}

const peak = cpuPeak();
uninstallNativeKernels();
const probe: NativeStatus = installNativeKernels();
uninstallNativeKernels();
console.log(`Peak: ${peak.text}\n`);
console.log(`Native: ${probe.summary}\n`);

// --- matMul ----------------------------------------------------------------------------------------
const rows: string[] = [];
for (const transposeA of [false, true]) {
  uninstallNativeKernels();
  const stock = matmulGflops(1024, transposeA, transposeA ? 2 : 5);
  const native = probe.active ? (installNativeKernels(), matmulGflops(1024, transposeA, 10)) : NaN;
  const pct = (g: number) => `${((100 * g) / peak.gflops).toFixed(1)} %`;
  rows.push(
    `| 1024² ${transposeA ? "transposeA" : "plain"} | ${stock.toFixed(1)} (${pct(stock)}) | ` +
      `${probe.active ? `${native.toFixed(1)} (${pct(native)})` : "n/a"} | ${
        probe.active ? `${(native / stock).toFixed(1)}×` : "n/a"
      } |`,
  );
}
uninstallNativeKernels();
console.log("### matMul GFLOP/s (fraction of peak)\n");
console.log("| matMul | stock wasm | native OpenBLAS | speedup |\n| --- | --- | --- | --- |");
console.log(rows.join("\n") + "\n");

// --- training steps --------------------------------------------------------------------------------
// Ours and PyTorch alternate one step at a time in this process run, at a fixed thread count on both
// sides (our OpenBLAS threads = PyTorch's intra-op and OpenBLAS threads), after warm-up steps on both.
console.log(
  "### Training step (forward + backward + AdamW) vs PyTorch, alternating step by step, median ms\n",
);
console.log(
  "| config | params | threads | stock wasm | native | native speedup | PyTorch | native / PyTorch | first loss (ours / PyTorch) |\n" +
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
);
const notes = new Set<string>();
/** Pause before each multi-threaded step (see the loop below). */
const SETTLE_MS = 300;
const threadCounts = [...new Set([1, Math.min(2, navigator.hardwareConcurrency)])];
for (const [name, config] of [["small", SMALL], ["large", LARGE]] as const) {
  const model = buildFixture(config);
  const firstLoss = model.step(); // untimed; the same first batch and initialization scale as PyTorch's
  uninstallNativeKernels();
  const large = name === "large";
  // The large stock step takes about a minute here: one step is all it gets.
  const stock = large ? stepMs(model, 0, 1) : stepMs(model, 1, steps);
  const rounds = large ? steps : Math.max(12, steps * 4);
  for (const threads of threadCounts) {
    let native = NaN;
    let torchMs = NaN;
    let torchLoss = NaN;
    const torch = await startTorchReference(config, threads);
    if (typeof torch === "string") notes.add(torch);
    else {
      notes.add(torch.description);
      torchLoss = torch.firstLoss;
    }
    if (probe.active) {
      installNativeKernels({ threads });
      const ours: number[] = [], theirs: number[] = [];
      for (let i = 0; i < 2; i++) model.step(); // warm-up, untimed
      if (typeof torch !== "string") await torch.steps(2);
      // With more than one thread, each side's idle OpenBLAS/OpenMP workers spin-wait for a while after a
      // step and would steal the cores from the other side's next step: let them go to sleep first.
      const settle = () => threads > 1 ? new Promise((resolve) => setTimeout(resolve, SETTLE_MS)) : null;
      for (let r = 0; r < rounds; r++) {
        await settle();
        const t0 = performance.now();
        model.step();
        ours.push(performance.now() - t0);
        if (typeof torch === "string") continue;
        await settle();
        theirs.push(...(await torch.steps(1)).times);
      }
      uninstallNativeKernels();
      native = median(ours);
      if (theirs.length > 0) torchMs = median(theirs);
    }
    if (typeof torch !== "string") await torch.close();
    const shape = `B${config.batch} T${config.seq} d${config.dModel} h${config.heads} mlp${config.mlp} ` +
      `V${config.vocab} L${config.layers}`;
    const cell = (x: number, digits = 1) => (isNaN(x) ? "n/a" : x.toFixed(digits));
    console.log(
      `| ${name} (${shape}) | ${(model.parameterCount / 1e6).toFixed(2)} M | ${threads} | ${
        stock.ms.toFixed(1)
      } | ` +
        `${cell(native)} | ${(stock.ms / native).toFixed(1)}× | ${cell(torchMs)} | ` +
        `${isNaN(torchMs) ? "n/a" : `**${(native / torchMs).toFixed(2)}×**`} | ` +
        `${firstLoss.toFixed(4)} / ${cell(torchLoss, 4)} |`,
    );
  }
  model.dispose();
}
console.log(
  `\nStock wasm: ${steps} steps after 1 warm-up (large: 1 step). Native and PyTorch: 2 warm-up steps each, then ` +
    `${Math.max(12, steps * 4)} (large: ${steps}) rounds of one step each, alternating; with 2 threads a ` +
    `${SETTLE_MS} ms pause before each step lets the other side's spinning worker threads go idle.`,
);
console.log(`\n${[...notes].map((n) => `- ${n}`).join("\n")}\n`);

// --- each native kernel's share, measured interleaved ------------------------------------------------
if (probe.active) {
  console.log(
    "### Which native kernels pay off (small config, variants interleaved step by step), median ms\n",
  );
  const cores = navigator.hardwareConcurrency;
  const variants: { label: string; kernels: readonly NativeKernelName[]; threads: number }[] = [
    {
      label: "matMul only (BatchMatMul, _FusedMatMul)",
      kernels: ["BatchMatMul", "_FusedMatMul"],
      threads: cores,
    },
    ...(["Transpose", "Sum", "Pow", "Identity", "Tanh", "Cast", "MlAdamWUpdate"] as const).map((k) => ({
      label: `matMul + ${k}`,
      kernels: ["BatchMatMul", "_FusedMatMul", k] as NativeKernelName[],
      threads: cores,
    })),
    { label: "all native kernels", kernels: NATIVE_KERNEL_NAMES, threads: cores },
    { label: "all native kernels, 1 OpenBLAS thread", kernels: NATIVE_KERNEL_NAMES, threads: 1 },
  ];
  const model = buildFixture(SMALL);
  const times = variants.map(() => [] as number[]);
  for (let rep = 0; rep < steps * 2 + 1; rep++) {
    variants.forEach((v, i) => {
      uninstallNativeKernels();
      installNativeKernels({ kernels: v.kernels, threads: v.threads });
      const t0 = performance.now();
      model.step();
      if (rep > 0) times[i].push(performance.now() - t0);
    });
  }
  uninstallNativeKernels();
  installNativeKernels({ threads: cores });
  uninstallNativeKernels();
  const base = median(times[0]);
  console.log("| variant | step ms | vs matMul only |\n| --- | --- | --- |");
  variants.forEach((v, i) => {
    const ms = median(times[i]);
    console.log(`| ${v.label} | ${ms.toFixed(1)} | ${((100 * (ms - base)) / base).toFixed(1)} % |`);
  });
  console.log("");
  model.dispose();
}

// --- per-op profile --------------------------------------------------------------------------------
console.log(
  "### Where one small training step spends its time (kernel ms, exclusive; per kernel the fastest of " +
    "3 (stock) or 9 profiled steps, 1 OpenBLAS thread)\n",
);
{
  const model = buildFixture(SMALL);
  uninstallNativeKernels();
  model.step();
  const stock = await profileKernelsBest(() => model.step(), 3);
  const named = [{ label: "stock", profile: stock }];
  if (probe.active) {
    installNativeKernels({ kernels: ["BatchMatMul", "_FusedMatMul"], threads: 1 });
    model.step();
    named.push({ label: "matMul", profile: await profileKernelsBest(() => model.step(), 9) });
    uninstallNativeKernels();
    installNativeKernels({ threads: 1 });
    model.step();
    named.push({ label: "all native", profile: await profileKernelsBest(() => model.step(), 9) });
    uninstallNativeKernels();
  }
  console.log(profileTable(named, 14));
  model.dispose();
}
