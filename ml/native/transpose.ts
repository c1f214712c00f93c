/**
 * Native `Transpose` for the wasm backend: a strided copy in JS over the wasm heap after collapsing
 * dimensions that move together (e.g. attention's [B,T,3,H,dh] -> [3,B,H,T,dh] becomes a copy of
 * dh-long runs), in one wasm SIMD call (`simd_module.ts`) when the runs are a multiple of 4 words. The stock kernel's generic N-D path computes every index on its own and is slow.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { simdKernels } from "./simd.ts";
import { offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Shape and permutation with size-1 dims dropped and dims that stay adjacent merged. */
export function collapseTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const kept = perm.filter((p) => shape[p] !== 1);
  // Group consecutive output axes whose input axes are consecutive too.
  const groups: number[][] = [];
  for (const p of kept) {
    const last = groups[groups.length - 1];
    const prevInput = last?.[last.length - 1];
    const nextKept = prevInput === undefined ? -1 : keep[keep.indexOf(prevInput) + 1];
    if (last && nextKept === p) last.push(p);
    else groups.push([p]);
  }
  const order = [...groups].sort((a, b) => a[0] - b[0]);
  return {
    shape: order.map((g) => g.reduce((s, i) => s * shape[i], 1)),
    perm: groups.map((g) => order.indexOf(g)),
  };
}

/** Native Transpose, or null for dtypes other than float32/int32 (stock kernel then). */
export function nativeTranspose(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { x: TensorInfo }; attrs: { perm: number[] } },
): TensorInfo | null {
  const { x } = args.inputs;
  const perm = args.attrs.perm;
  if (x.dtype !== "float32" && x.dtype !== "int32") return null;
  const outShape = perm.map((p) => x.shape[p]);
  const size = x.shape.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput(outShape, x.dtype);
  if (size === 0) return out;
  const c = collapseTranspose(x.shape, perm);
  // Views after makeOutput (allocation may replace the heap buffer); 4-byte words copy both dtypes exactly.
  const heap = backend.wasm.HEAPU8.buffer;
  const src = new Int32Array(heap, offsetOf(backend, x), size);
  const dst = new Int32Array(heap, offsetOf(backend, out), size);
  const rank = c.shape.length;
  if (rank <= 1) {
    dst.set(src);
    return out;
  }
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= c.shape[i];
  }
  const oShape = c.perm.map((p) => c.shape[p]);
  const oStride = c.perm.map((p) => inStrides[p]);
  const inner = oShape[rank - 1], innerStride = oStride[rank - 1];
  const simd = simdKernels(backend);
  if (simd !== null && innerStride === 1 && inner % 4 === 0 && rank <= 5) {
    // Contiguous runs of a multiple of 4 words: one wasm SIMD call copies them all.
    const pad = 5 - rank;
    const n = [...Array(pad).fill(1), ...oShape.slice(0, -1)];
    const strides = [...Array(pad).fill(0), ...oStride.slice(0, -1).map((st) => st * 4)];
    simd.copyRuns(offsetOf(backend, x), offsetOf(backend, out), n, strides, inner * 4);
    return out;
  }
  const idx = new Array<number>(rank - 1).fill(0);
  let o = 0, base = 0;
  while (o < size) {
    if (innerStride === 1 && inner >= 256) {
      dst.set(src.subarray(base, base + inner), o);
      o += inner;
    } else {
      for (let j = 0, at = base; j < inner; j++, at += innerStride) dst[o++] = src[at];
    }
    // Advance the odometer over the outer output dims.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      base += oStride[d];
      if (idx[d] < oShape[d]) break;
      base -= oStride[d] * oShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
