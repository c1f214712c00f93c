/**
 * Softmax-family kernels over the last axis for the wasm backend, in wasm SIMD on the heap
 * (`simd_module.ts`, with a vectorized exp), JS loops when the width is not a multiple of 4 or SIMD is
 * missing:
 * - {@link LOG_SOFTMAX_KERNEL} (added) and its gradient kernel: `ml/model.ts`'s `logSoftmax` (the
 *   cross-entropy of `lossSum`) runs them when registered. tfjs's `logSoftmax` composes max, sub, exp,
 *   sum, log, sub forward and exp, sum, mul, sub backward.
 * - {@link SOFTMAX_GRAD_KERNEL} (added): the gradient of tfjs's own `Softmax` kernel (attention) as one
 *   kernel instead of mul, sum, mul, sub; {@link installSoftmaxGradient} wraps the registered `Softmax`
 *   gradient so it runs this kernel when it is registered for the active backend (else the original).
 */
import type { GradConfig, NamedAttrMap, NamedTensorMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import { engine, getBackend, getGradient, getKernel, registerGradient } from "@tensorflow/tfjs-core";
import { simdKernels } from "./simd.ts";
import { heapF32, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Forward kernel name: `{ x }` → log-softmax over the last axis. */
export const LOG_SOFTMAX_KERNEL = "MlLogSoftmax";
/** Gradient kernel name: `{ dy, y }` (y the forward output) → dx = dy − Σdy·e^y. */
export const LOG_SOFTMAX_GRAD_KERNEL = "MlLogSoftmaxGrad";
/** Softmax gradient kernel name: `{ dy, y }` (y the softmax) → dx = y·(dy − Σ dy·y). */
export const SOFTMAX_GRAD_KERNEL = "MlSoftmaxGrad";

const sizeOf = (t: TensorInfo) => t.shape.reduce((a, d) => a * d, 1);

/** Rows and width of a float32 [..., d] tensor; null otherwise. */
function rowsOf(x: TensorInfo): { rows: number; d: number } | null {
  const d = x.shape[x.shape.length - 1] ?? 0;
  if (x.dtype !== "float32" || d === 0) return null;
  return { rows: sizeOf(x) / d, d };
}

/** Log-softmax of each row of float32 x over the last axis; null for other dtypes. */
export function nativeLogSoftmax(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { x: TensorInfo } },
): TensorInfo | null {
  const { x } = args.inputs;
  const shape = rowsOf(x);
  if (shape === null) return null;
  const { rows, d } = shape;
  const out = backend.makeOutput([...x.shape], "float32");
  const simd = simdKernels(backend);
  if (simd !== null && d % 4 === 0) {
    // Per-row max and Σe^(x−max) in SIMD, the log per row here (wasm has none), then y = x − lse.
    const stats = backend.makeOutput([rows, 2], "float32");
    const statsAt = offsetOf(backend, stats);
    simd.rowMaxSumExp(offsetOf(backend, x), statsAt, rows, d);
    const s = heapF32(backend, statsAt, 2 * rows);
    for (let r = 0; r < rows; r++) s[2 * r] += Math.log(s[2 * r + 1]);
    simd.rowSub(offsetOf(backend, x), statsAt, offsetOf(backend, out), rows, d);
    backend.disposeData(stats.dataId);
    return out;
  }
  const xs = heapF32(backend, offsetOf(backend, x), rows * d),
    y = heapF32(backend, offsetOf(backend, out), rows * d);
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let m = -Infinity;
    for (let j = 0; j < d; j++) m = Math.max(m, xs[o + j]);
    let sum = 0;
    for (let j = 0; j < d; j++) sum += Math.exp(xs[o + j] - m);
    const lse = m + Math.log(sum);
    for (let j = 0; j < d; j++) y[o + j] = xs[o + j] - lse;
  }
  return out;
}

/** Shared by the two gradient kernels: dy and y float32 of one shape. */
function gradArgs(dy: TensorInfo, y: TensorInfo): { rows: number; d: number } | null {
  const shape = rowsOf(y);
  return shape === null || dy.dtype !== "float32" || sizeOf(dy) !== sizeOf(y) ? null : shape;
}

/** dx = dy − (Σ_row dy)·e^y for the log-softmax output y. */
export function nativeLogSoftmaxGrad(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { dy: TensorInfo; y: TensorInfo } },
): TensorInfo | null {
  return softmaxGrad(backend, args.inputs, true);
}

/** dx = y·(dy − Σ_row dy·y) for the softmax output y. */
export function nativeSoftmaxGrad(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { dy: TensorInfo; y: TensorInfo } },
): TensorInfo | null {
  return softmaxGrad(backend, args.inputs, false);
}

function softmaxGrad(
  backend: WasmBackendLike,
  { dy, y }: { dy: TensorInfo; y: TensorInfo },
  log: boolean,
): TensorInfo | null {
  const shape = gradArgs(dy, y);
  if (shape === null) return null;
  const { rows, d } = shape;
  const out = backend.makeOutput([...y.shape], "float32");
  const simd = simdKernels(backend);
  const [gAt, yAt, oAt] = [offsetOf(backend, dy), offsetOf(backend, y), offsetOf(backend, out)];
  if (simd !== null && d % 4 === 0) {
    (log ? simd.logSoftmaxGrad : simd.softmaxGrad)(gAt, yAt, oAt, rows, d);
    return out;
  }
  const g = heapF32(backend, gAt, rows * d), ys = heapF32(backend, yAt, rows * d);
  const dx = heapF32(backend, oAt, rows * d);
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += log ? g[o + j] : g[o + j] * ys[o + j];
    if (log) { for (let j = 0; j < d; j++) dx[o + j] = g[o + j] - s * Math.exp(ys[o + j]); }
    else for (let j = 0; j < d; j++) dx[o + j] = ys[o + j] * (g[o + j] - s);
  }
  return out;
}

/** The tape gradient of {@link LOG_SOFTMAX_KERNEL}: one {@link LOG_SOFTMAX_GRAD_KERNEL} call on the saved output. */
export const LOG_SOFTMAX_GRADIENT: GradConfig = {
  kernelName: LOG_SOFTMAX_KERNEL,
  outputsToSave: [true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => ({
    x: () =>
      engine().runKernel(
        LOG_SOFTMAX_GRAD_KERNEL,
        { dy: dy as Tensor, y: saved[0] } as unknown as NamedTensorMap,
      ) as Tensor,
  }),
};

let wrapped: GradConfig | null = null;

/**
 * Wraps tfjs's registered `Softmax` gradient (once; idempotent): over the last axis, and when
 * {@link SOFTMAX_GRAD_KERNEL} is registered for the active backend, it runs that kernel; otherwise the
 * original gradient runs unchanged.
 */
export function installSoftmaxGradient(): void {
  const current = getGradient("Softmax");
  if (current === undefined || current === wrapped) return;
  const original = current;
  wrapped = {
    ...original,
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const y = saved[0];
      const dim = (attrs as { dim?: number }).dim ?? -1;
      const last = dim === -1 || dim === y.rank - 1;
      if (!last || getKernel(SOFTMAX_GRAD_KERNEL, getBackend()) === undefined) {
        return original.gradFunc(dy, saved, attrs);
      }
      return {
        logits: () =>
          engine().runKernel(
            SOFTMAX_GRAD_KERNEL,
            { dy: dy as Tensor, y } as unknown as NamedTensorMap,
          ) as Tensor,
      };
    },
  };
  registerGradient(wrapped);
}
