/**
 * LayerNorm over the last axis (gain, optional bias) as one fused wasm-backend kernel, and its gradient
 * (dx, dgain, dbias) as another: wasm SIMD over the heap (`simd_module.ts`, float32 row statistics) when
 * the width is a multiple of 4 (and, forward, there is a bias), else JS loops with float64 statistics. The composed form
 * (`tf.moments`, sub, add, sqrt, div, mul, add) costs about 8 kernels forward and 20 backward per call.
 * `ml/model.ts`'s `layerNorm` runs {@link LAYER_NORM_KERNEL} when it is registered for the active backend.
 */
import type { GradConfig, NamedAttrMap, NamedTensorMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import { engine } from "@tensorflow/tfjs-core";
import { simdKernels } from "./simd.ts";
import { heapF32, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Forward kernel name: `{ x, gamma, beta? }`, attrs `{ eps }` → y. */
export const LAYER_NORM_KERNEL = "MlLayerNorm";
/** Gradient kernel name: `{ dy, x, gamma }`, attrs `{ eps }` → [dx, dgamma, dbeta]. */
export const LAYER_NORM_GRAD_KERNEL = "MlLayerNormGrad";

const sizeOf = (t: TensorInfo) => t.shape.reduce((a, d) => a * d, 1);

/** Rows and width when x is float32 [..., d] and gamma (and beta) float32 [d]; null otherwise. */
function dims(x: TensorInfo, gamma: TensorInfo, beta?: TensorInfo): { rows: number; d: number } | null {
  const d = x.shape[x.shape.length - 1] ?? 0;
  if (x.dtype !== "float32" || gamma.dtype !== "float32" || d === 0) return null;
  if (sizeOf(gamma) !== d || (beta !== undefined && (beta.dtype !== "float32" || sizeOf(beta) !== d))) {
    return null;
  }
  return { rows: sizeOf(x) / d, d };
}

/** y = (x − mean)/sqrt(var + eps)·gamma + beta per row of the last axis. */
export function nativeLayerNorm(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { x: TensorInfo; gamma: TensorInfo; beta?: TensorInfo }; attrs: { eps: number } },
): TensorInfo | null {
  const { x, gamma, beta } = args.inputs;
  const shape = dims(x, gamma, beta);
  if (shape === null) return null;
  const { rows, d } = shape;
  const out = backend.makeOutput([...x.shape], "float32");
  if (
    beta !== undefined && simdKernels(backend)?.layerNorm(
      {
        x: offsetOf(backend, x),
        y: offsetOf(backend, out),
        gamma: offsetOf(backend, gamma),
        beta: offsetOf(backend, beta),
      },
      rows,
      d,
      args.attrs.eps,
    )
  ) return out;
  const xs = heapF32(backend, offsetOf(backend, x), rows * d),
    y = heapF32(backend, offsetOf(backend, out), rows * d);
  const g = heapF32(backend, offsetOf(backend, gamma), d);
  const b = beta === undefined ? null : heapF32(backend, offsetOf(backend, beta), d);
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += xs[o + j];
    mean /= d;
    let variance = 0;
    for (let j = 0; j < d; j++) variance += (xs[o + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / d + args.attrs.eps);
    if (b === null) { for (let j = 0; j < d; j++) y[o + j] = (xs[o + j] - mean) * rstd * g[j]; }
    else for (let j = 0; j < d; j++) y[o + j] = (xs[o + j] - mean) * rstd * g[j] + b[j];
  }
  return out;
}

/**
 * With x̂ = (x − mean)·rstd and ĝ = dy·gamma: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),
 * dgamma = Σ_rows dy·x̂, dbeta = Σ_rows dy.
 */
export function nativeLayerNormGrad(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo }; attrs: { eps: number } },
): TensorInfo[] | null {
  const { dy, x, gamma } = args.inputs;
  const shape = dims(x, gamma);
  if (shape === null || dy.dtype !== "float32" || sizeOf(dy) !== sizeOf(x)) return null;
  const { rows, d } = shape;
  const dxInfo = backend.makeOutput([...x.shape], "float32");
  const dgInfo = backend.makeOutput([...gamma.shape], "float32");
  const dbInfo = backend.makeOutput([...gamma.shape], "float32");
  const simd = simdKernels(backend)?.layerNormGrad(
    {
      x: offsetOf(backend, x),
      dy: offsetOf(backend, dy),
      gamma: offsetOf(backend, gamma),
      dx: offsetOf(backend, dxInfo),
      dgamma: offsetOf(backend, dgInfo),
      dbeta: offsetOf(backend, dbInfo),
    },
    rows,
    d,
    args.attrs.eps,
  );
  if (simd) return [dxInfo, dgInfo, dbInfo];
  const n = rows * d;
  const xs = heapF32(backend, offsetOf(backend, x), n), gy = heapF32(backend, offsetOf(backend, dy), n);
  const g = heapF32(backend, offsetOf(backend, gamma), d),
    dx = heapF32(backend, offsetOf(backend, dxInfo), n);
  const dgOut = heapF32(backend, offsetOf(backend, dgInfo), d),
    dbOut = heapF32(backend, offsetOf(backend, dbInfo), d);
  const dg = new Float64Array(d), db = new Float64Array(d), xhat = new Float64Array(d);
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += xs[o + j];
    mean /= d;
    let variance = 0;
    for (let j = 0; j < d; j++) variance += (xs[o + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / d + args.attrs.eps);
    let sumG = 0, sumGX = 0;
    for (let j = 0; j < d; j++) {
      const h = (xs[o + j] - mean) * rstd, gj = gy[o + j];
      xhat[j] = h;
      dg[j] += gj * h;
      db[j] += gj;
      const ghat = gj * g[j];
      sumG += ghat;
      sumGX += ghat * h;
    }
    const mG = sumG / d, mGX = sumGX / d;
    for (let j = 0; j < d; j++) dx[o + j] = rstd * (gy[o + j] * g[j] - mG - xhat[j] * mGX);
  }
  dgOut.set(dg);
  dbOut.set(db);
  return [dxInfo, dgInfo, dbInfo];
}

/** The tape gradient of {@link LAYER_NORM_KERNEL}: one {@link LAYER_NORM_GRAD_KERNEL} call. */
export const LAYER_NORM_GRADIENT: GradConfig = {
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ["x", "gamma"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dx, dgamma, dbeta] = engine().runKernel(
      LAYER_NORM_GRAD_KERNEL,
      { dy: dy as Tensor, x: saved[0], gamma: saved[1] } as unknown as NamedTensorMap,
      attrs,
    ) as Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};
