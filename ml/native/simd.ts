/**
 * Instantiates the SIMD kernels of `simd_module.ts` on tfjs-backend-wasm's own linear memory (one
 * instance per memory, created on first use) and calls them on tensors in place. When the backend does
 * not expose its memory, or WebAssembly SIMD is missing, {@link simdKernels} returns null and the
 * callers keep their JS loops.
 */
import { simdModuleBytes } from "./simd_module.ts";
import type { WasmBackendLike } from "./wasm_heap.ts";

/** The kernels; pointers are byte offsets into the backend's heap, `n` counts float32 elements. */
export interface SimdKernels {
  /** y = tanh(x) for the first `n - n % 4` elements; returns how many it did. */
  tanh(x: number, y: number, n: number): number;
  /** y = gelu(x) (tanh form); returns how many elements it did (a multiple of 4). */
  gelu(x: number, y: number, n: number): number;
  /** dx = dy·gelu'(x); returns how many elements it did. */
  geluGrad(dy: number, x: number, dx: number, n: number): number;
  /** One AdamW update of n elements (see `adamw.ts`); returns how many it did. */
  adamw(
    ptrs: { p: number; m: number; v: number; g: number; po: number; mo: number; vo: number },
    n: number,
    s: { beta1: number; beta2: number; lrOverC1: number; invC2: number; eps: number; decay: number },
  ): number;
  /**
   * LayerNorm of `rows` rows of width `d` (a multiple of 4) with gain and bias, float32 statistics;
   * false (nothing done) when `d % 4 !== 0`.
   */
  layerNorm(
    p: { x: number; y: number; gamma: number; beta: number },
    rows: number,
    d: number,
    eps: number,
  ): boolean;
  /** Per row of width d (multiple of 4): stats[2r] = max, stats[2r+1] = Σ e^(x − max). */
  rowMaxSumExp(x: number, stats: number, rows: number, d: number): void;
  /** Per row: y = x − stats[2r]. */
  rowSub(x: number, stats: number, y: number, rows: number, d: number): void;
  /** dx = dy − Σdy·e^y per row (log-softmax gradient), d a multiple of 4. */
  logSoftmaxGrad(dy: number, y: number, dx: number, rows: number, d: number): void;
  /** dx = y·(dy − Σ dy·y) per row (softmax gradient), d a multiple of 4. */
  softmaxGrad(dy: number, y: number, dx: number, rows: number, d: number): void;
  /**
   * Copies runs of `runBytes` (a multiple of 16) from src + a·s[0] + b·s[1] + c·s[2] + e·s[3] (byte
   * strides) for (a, b, c, e) < n, in order, to consecutive places in dst.
   */
  copyRuns(src: number, dst: number, n: number[], s: number[], runBytes: number): void;
  /** Its gradient: writes dx and dgamma, dbeta (summed over rows); false when `d % 4 !== 0`. */
  layerNormGrad(
    p: { x: number; dy: number; gamma: number; dx: number; dgamma: number; dbeta: number },
    rows: number,
    d: number,
    eps: number,
  ): boolean;
}

type Exports = {
  tanh(x: number, y: number, bytes: number): void;
  gelu(x: number, y: number, bytes: number): void;
  geluGrad(dy: number, x: number, dx: number, bytes: number): void;
  adamw(...args: number[]): void;
  layerNorm(...args: number[]): void;
  layerNormGrad(...args: number[]): void;
  rowMaxSumExp(x: number, stats: number, rows: number, dBytes: number): void;
  rowSub(x: number, stats: number, y: number, rows: number, dBytes: number): void;
  logSoftmaxGrad(dy: number, y: number, dx: number, rows: number, dBytes: number): void;
  softmaxGrad(dy: number, y: number, dx: number, rows: number, dBytes: number): void;
  copyRuns(...args: number[]): void;
};

const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();
let compiled: WebAssembly.Module | null | undefined;
let enabled = true;

/** Turns the SIMD path off (or back on) for this process: benches compare it with the JS loops. */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

function memoryOf(backend: WasmBackendLike): WebAssembly.Memory | null {
  const memory = backend.wasm.asm?.memory; // tfjs-backend-wasm exports its memory (checked below)
  return memory instanceof WebAssembly.Memory && memory.buffer === backend.wasm.HEAPU8.buffer ? memory : null;
}

/** The SIMD kernels bound to `backend`'s heap, or null (no exposed memory, no SIMD, or turned off). */
export function simdKernels(backend: WasmBackendLike): SimdKernels | null {
  if (!enabled) return null;
  const memory = memoryOf(backend);
  if (memory === null) return null;
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(simdModuleBytes());
    } catch {
      compiled = null; // no WebAssembly SIMD in this runtime
    }
  }
  if (compiled === null) return null;
  const ex = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Exports;
  const whole = (n: number) => n - (n % 4);
  const kernels: SimdKernels = {
    tanh(x, y, n) {
      ex.tanh(x, y, whole(n) * 4);
      return whole(n);
    },
    gelu(x, y, n) {
      ex.gelu(x, y, whole(n) * 4);
      return whole(n);
    },
    geluGrad(dy, x, dx, n) {
      ex.geluGrad(dy, x, dx, whole(n) * 4);
      return whole(n);
    },
    adamw(p, n, s) {
      ex.adamw(
        p.p,
        p.m,
        p.v,
        p.g,
        p.po,
        p.mo,
        p.vo,
        whole(n) * 4,
        s.beta1,
        s.beta2,
        s.lrOverC1,
        s.invC2,
        s.eps,
        s.decay,
      );
      return whole(n);
    },
    rowMaxSumExp: (x, stats, rows, d) => ex.rowMaxSumExp(x, stats, rows, d * 4),
    rowSub: (x, stats, y, rows, d) => ex.rowSub(x, stats, y, rows, d * 4),
    logSoftmaxGrad: (dy, y, dx, rows, d) => ex.logSoftmaxGrad(dy, y, dx, rows, d * 4),
    softmaxGrad: (dy, y, dx, rows, d) => ex.softmaxGrad(dy, y, dx, rows, d * 4),
    copyRuns: (src, dst, n, s, runBytes) =>
      ex.copyRuns(src, dst, n[0], n[1], n[2], n[3], s[0], s[1], s[2], s[3], runBytes),
    layerNorm(p, rows, d, eps) {
      if (d % 4 !== 0) return false;
      ex.layerNorm(p.x, p.y, p.gamma, p.beta, rows, d * 4, eps);
      return true;
    },
    layerNormGrad(p, rows, d, eps) {
      if (d % 4 !== 0) return false;
      const heap = new Float32Array(memory.buffer);
      heap.fill(0, p.dgamma / 4, p.dgamma / 4 + d);
      heap.fill(0, p.dbeta / 4, p.dbeta / 4 + d);
      ex.layerNormGrad(p.x, p.dy, p.gamma, p.dx, p.dgamma, p.dbeta, rows, d * 4, eps);
      return true;
    },
  };
  instances.set(memory, kernels);
  return kernels;
}
