/**
 * Per-kernel call counts and times for a piece of tfjs work (e.g. one training step): every kernel
 * registered for the backend is wrapped with a timer for the duration of the run, then restored.
 * Times are exclusive (a kernel that runs another registered kernel through the engine is not
 * charged for it). The wasm backend runs kernels synchronously, so wall time per call is kernel time.
 */
import {
  getKernelsForBackend,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";

/** One kernel's share of a profiled run. */
export interface OpTime {
  kernel: string;
  calls: number;
  /** Exclusive milliseconds in this kernel. */
  ms: number;
}

/** Result of {@link profileKernels}. */
export interface KernelProfile {
  /** Wall time of the whole run, ms. */
  totalMs: number;
  /** Sum of all kernel times, ms; `totalMs - kernelMs` is JS/engine overhead (tape, bookkeeping). */
  kernelMs: number;
  /** Kernels by time, largest first. */
  ops: OpTime[];
}

/** Runs `fn` with every `backend` kernel timed; kernels are restored even when `fn` throws. */
export async function profileKernels<T>(
  fn: () => T | Promise<T>,
  backend = "wasm",
): Promise<{ result: T; profile: KernelProfile }> {
  const configs: KernelConfig[] = getKernelsForBackend(backend);
  const table = new Map<string, OpTime>();
  // Time spent in nested kernels, per open frame, so each kernel is charged exclusive time.
  const childMs: number[] = [];
  for (const config of configs) {
    const inner = config.kernelFunc;
    const entry: OpTime = { kernel: config.kernelName, calls: 0, ms: 0 };
    table.set(config.kernelName, entry);
    const timed: KernelFunc = (args) => {
      childMs.push(0);
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        const dt = performance.now() - t0;
        const nested = childMs.pop() ?? 0;
        entry.calls++;
        entry.ms += dt - nested;
        if (childMs.length > 0) childMs[childMs.length - 1] += dt;
      }
    };
    unregisterKernel(config.kernelName, backend);
    registerKernel({ ...config, kernelFunc: timed });
  }
  const t0 = performance.now();
  try {
    const result = await fn();
    const totalMs = performance.now() - t0;
    const ops = [...table.values()].filter((o) => o.calls > 0).sort((a, b) => b.ms - a.ms);
    const kernelMs = ops.reduce((s, o) => s + o.ms, 0);
    return { result, profile: { totalMs, kernelMs, ops } };
  } finally {
    for (const config of configs) {
      unregisterKernel(config.kernelName, backend);
      registerKernel(config);
    }
  }
}

/**
 * Profiles `runs` calls of `fn` and keeps, per kernel, its fastest run (calls from that run), and the
 * fastest total: on a loaded machine the minimum is the least disturbed figure. `kernelMs` is the sum of
 * the per-kernel minima, so `totalMs - kernelMs` is the JS/engine time of the fastest run at most.
 */
export async function profileKernelsBest(
  fn: () => unknown,
  runs: number,
  backend = "wasm",
): Promise<KernelProfile> {
  const best = new Map<string, OpTime>();
  let totalMs = Infinity;
  for (let r = 0; r < runs; r++) {
    const { profile } = await profileKernels(fn, backend);
    totalMs = Math.min(totalMs, profile.totalMs);
    for (const o of profile.ops) {
      const b = best.get(o.kernel);
      if (b === undefined || o.ms < b.ms) best.set(o.kernel, { ...o });
    }
  }
  const ops = [...best.values()].sort((a, b) => b.ms - a.ms);
  return { totalMs, kernelMs: ops.reduce((sum, o) => sum + o.ms, 0), ops };
}

/** Markdown table of the top `limit` kernels of one or more profiles side by side (by the first's order). */
export function profileTable(named: { label: string; profile: KernelProfile }[], limit = 15): string {
  const [first] = named;
  const kernels = new Set<string>(first.profile.ops.slice(0, limit).map((o) => o.kernel));
  for (const { profile } of named.slice(1)) {
    for (const o of profile.ops.slice(0, 5)) kernels.add(o.kernel);
  }
  const head = ["kernel", ...named.flatMap((n) => [`${n.label} calls`, `${n.label} ms`, `${n.label} %`])];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  const cell = (p: KernelProfile, k: string) => {
    const o = p.ops.find((x) => x.kernel === k);
    return o
      ? [String(o.calls), o.ms.toFixed(2), `${((100 * o.ms) / p.totalMs).toFixed(1)}`]
      : ["0", "0.00", "0.0"];
  };
  for (const k of kernels) lines.push(`| ${k} | ${named.flatMap((n) => cell(n.profile, k)).join(" | ")} |`);
  const other = (p: KernelProfile) => {
    const ms = p.ops.filter((o) => !kernels.has(o.kernel)).reduce((s, o) => s + o.ms, 0);
    return ["", ms.toFixed(2), `${((100 * ms) / p.totalMs).toFixed(1)}`];
  };
  lines.push(`| (other kernels) | ${named.flatMap((n) => other(n.profile)).join(" | ")} |`);
  const overhead = (p: KernelProfile) => {
    const ms = p.totalMs - p.kernelMs;
    return ["", ms.toFixed(2), `${((100 * ms) / p.totalMs).toFixed(1)}`];
  };
  lines.push(`| (JS/engine outside kernels) | ${named.flatMap((n) => overhead(n.profile)).join(" | ")} |`);
  lines.push(
    `| **step total** | ${named.flatMap((n) => ["", n.profile.totalMs.toFixed(2), "100"]).join(" | ")} |`,
  );
  return lines.join("\n");
}
