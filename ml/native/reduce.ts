/**
 * Native `Sum` over leading axes (bias gradients: [rows, features] -> [features]) or over trailing axes
 * (softmax and cross-entropy gradients: [rows, n] -> [rows]) as one `sgemv` with a ones vector. The
 * stock kernel transposes the input first so the reduced axes are innermost.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { addressOf, type OpenBlas } from "./openblas.ts";
import { heapBase, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

let ones = new Float32Array(0);
let onesAddr = 0;

function onesOf(n: number): number {
  if (ones.length < n) {
    ones = new Float32Array(Math.max(n, 2 * ones.length)).fill(1);
    onesAddr = addressOf(ones.buffer);
  }
  return onesAddr;
}

/**
 * Native Sum when the reduced axes are exactly the leading ones, or exactly the trailing ones, of a
 * float32 tensor; null otherwise (mixed axes, or all axes: stock).
 */
export function nativeSum(
  blas: OpenBlas,
  backend: WasmBackendLike,
  args: { inputs: { x: TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean } },
): TensorInfo | null {
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs;
  if (x.dtype !== "float32") return null;
  const rank = x.shape.length;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort(
    (p, q) => p - q,
  );
  if (axes.length === 0 || axes.length === rank) return null;
  const leading = axes.every((a, i) => a === i);
  const trailing = axes.every((a, i) => a === rank - axes.length + i);
  if (!leading && !trailing) return null;
  // x as a row-major [m, n] matrix: leading sums reduce m (y = xᵀ·1), trailing sums reduce n (y = x·1).
  const split = leading ? axes.length : rank - axes.length;
  const m = x.shape.slice(0, split).reduce((p, d) => p * d, 1);
  const n = x.shape.slice(split).reduce((p, d) => p * d, 1);
  if (m === 0 || n === 0) return null;
  const reduced = new Set(axes);
  const outShape = keepDims
    ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d))
    : x.shape.filter((_, i) => !reduced.has(i));
  const out = backend.makeOutput(outShape, "float32");
  const onesAt = onesOf(leading ? m : n);
  const base = heapBase(backend);
  blas.sgemv(
    leading,
    m,
    n,
    1,
    base + offsetOf(backend, x),
    n,
    onesAt,
    1,
    0,
    base + offsetOf(backend, out),
    1,
  );
  return out;
}
