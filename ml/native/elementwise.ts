/**
 * Native element-wise kernels for the wasm backend: `Pow` with a scalar exponent (GELU's x³ and its
 * gradient's x²) as a JS loop over the heap, and `Identity` as an alias of its input (no copy), as
 * tfjs's cpu backend does.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { heapF32, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Native Pow for float32 `a` and a one-element float32 exponent `b`; null otherwise. */
export function nativePow(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { a: TensorInfo; b: TensorInfo } },
): TensorInfo | null {
  const { a, b } = args.inputs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const bSize = b.shape.reduce((p, d) => p * d, 1);
  if (bSize !== 1 || b.shape.length > a.shape.length) return null;
  const size = a.shape.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...a.shape], "float32");
  if (size === 0) return out;
  const e = heapF32(backend, offsetOf(backend, b), 1)[0];
  const x = heapF32(backend, offsetOf(backend, a), size);
  const y = heapF32(backend, offsetOf(backend, out), size);
  if (e === 2) { for (let i = 0; i < size; i++) y[i] = x[i] * x[i]; }
  else if (e === 3) { for (let i = 0; i < size; i++) y[i] = x[i] * x[i] * x[i]; }
  else if (e === 1) y.set(x);
  else for (let i = 0; i < size; i++) y[i] = Math.pow(x[i], e);
  return out;
}

/** Identity without a copy: the output shares the input's memory (refcounted). */
export function nativeIdentity(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { x: TensorInfo } },
): TensorInfo | null {
  const { x } = args.inputs;
  if (x.dtype === "string") return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
