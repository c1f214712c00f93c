/**
 * GELU (tanh approximation, GPT-2's `gelu_new`) as one fused wasm-backend kernel and its gradient as
 * another, in wasm SIMD on the heap (`simd_module.ts`; JS loops where SIMD is unavailable): the composed form costs 7 kernels forward and about 15 backward on
 * the MLP's widest activation. `ml/model.ts`'s `gelu` runs {@link GELU_KERNEL} when it is registered for
 * the active backend (by `installNativeKernels`); {@link GELU_GRADIENT} is its tape gradient.
 */
import type { GradConfig, NamedTensorMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import { engine } from "@tensorflow/tfjs-core";
import { tanhInto } from "./pointwise.ts";
import { simdKernels } from "./simd.ts";
import { heapF32, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Forward kernel name: `{ x }` → y. */
export const GELU_KERNEL = "MlGelu";
/** Gradient kernel name: `{ dy, x }` → dx. */
export const GELU_GRAD_KERNEL = "MlGeluGrad";

const C = Math.sqrt(2 / Math.PI), K = 0.044715;
const sizeOf = (t: TensorInfo) => t.shape.reduce((a, d) => a * d, 1);

/** y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) for float32 x; null otherwise. */
export function nativeGelu(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { x: TensorInfo } },
): TensorInfo | null {
  const { x } = args.inputs;
  if (x.dtype !== "float32") return null;
  const n = sizeOf(x);
  const out = backend.makeOutput([...x.shape], "float32");
  const xAt = offsetOf(backend, x), yAt = offsetOf(backend, out);
  // Four floats per instruction in wasm SIMD; the JS loop does the rest (or all, without SIMD).
  const done = simdKernels(backend)?.gelu(xAt, yAt, n) ?? 0;
  if (done === n) return out;
  const src = heapF32(backend, xAt + 4 * done, n - done), dst = heapF32(backend, yAt + 4 * done, n - done);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    dst[i] = C * (v + K * v * v * v);
  }
  tanhInto(dst, dst);
  for (let i = 0; i < src.length; i++) dst[i] = 0.5 * src[i] * (1 + dst[i]);
  return out;
}

/** dx = dy·(0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)), t the forward tanh. */
export function nativeGeluGrad(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { dy: TensorInfo; x: TensorInfo } },
): TensorInfo | null {
  const { dy, x } = args.inputs;
  if (x.dtype !== "float32" || dy.dtype !== "float32" || sizeOf(dy) !== sizeOf(x)) return null;
  const n = sizeOf(x);
  const out = backend.makeOutput([...x.shape], "float32");
  const xAt = offsetOf(backend, x), gAt = offsetOf(backend, dy), dAt = offsetOf(backend, out);
  const done = simdKernels(backend)?.geluGrad(gAt, xAt, dAt, n) ?? 0;
  if (done === n) return out;
  const m = n - done;
  const xs = heapF32(backend, xAt + 4 * done, m), g = heapF32(backend, gAt + 4 * done, m);
  const dst = heapF32(backend, dAt + 4 * done, m);
  for (let i = 0; i < m; i++) {
    const v = xs[i];
    dst[i] = C * (v + K * v * v * v);
  }
  tanhInto(dst, dst);
  for (let i = 0; i < m; i++) {
    const v = xs[i], t = dst[i];
    dst[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * K * v * v));
  }
  return out;
}

/** The tape gradient of {@link GELU_KERNEL}: runs {@link GELU_GRAD_KERNEL} on the saved input. */
export const GELU_GRADIENT: GradConfig = {
  kernelName: GELU_KERNEL,
  inputsToSave: ["x"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => ({
    x: () =>
      engine().runKernel(
        GELU_GRAD_KERNEL,
        { dy: dy as Tensor, x: saved[0] } as unknown as NamedTensorMap,
      ) as Tensor,
  }),
};
