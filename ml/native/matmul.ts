/**
 * Native `BatchMatMul` and `_FusedMatMul` for tfjs's wasm backend: one `cblas_sgemm` per batch
 * matrix (or one for the whole batch when it folds into rows), reading and writing the wasm heap in
 * place. Anything outside what is handled here goes to the stock kernel unchanged.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import type { OpenBlas } from "./openblas.ts";
import { heapBase, heapF32, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** How one (batched) matMul maps onto sgemm calls. */
export interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  /** Number of output matrices. */
  batch: number;
  outShape: number[];
  /** Batch index into `a` for output batch `i` (length `batch`). */
  aIndex: Int32Array;
  /** Batch index into `b` for output batch `i`. */
  bIndex: Int32Array;
  /** `a` (not transposed) is contiguous over all batches and `b` is one matrix: do one sgemm of batch·m rows. */
  foldRows: boolean;
}

/** Broadcast index of each output batch into an operand with batch dims `dims` (right-aligned). */
function batchIndices(outDims: number[], dims: number[]): Int32Array {
  const total = outDims.reduce((p, d) => p * d, 1);
  const idx = new Int32Array(total);
  const offset = outDims.length - dims.length;
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let at = 0;
    for (let d = outDims.length - 1; d >= 0; d--) {
      const coord = rem % outDims[d];
      rem = (rem - coord) / outDims[d];
      const j = d - offset;
      if (j >= 0 && dims[j] !== 1) at += coord * strides[j];
    }
    idx[flat] = at;
  }
  return idx;
}

/**
 * Plans `op(a)·op(b)` over broadcast batch dims, or returns null when the shapes are not a valid
 * matMul (the stock kernel then reports the error in its own words).
 */
export function planMatMul(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | null {
  const ra = aShape.length, rb = bShape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const ka = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (ka !== kb) return null;
  const aDims = aShape.slice(0, -2), bDims = bShape.slice(0, -2);
  const rank = Math.max(aDims.length, bDims.length);
  const outDims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aDims[i - (rank - aDims.length)] ?? 1;
    const db = bDims[i - (rank - bDims.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    outDims.push(da === 1 ? db : da);
  }
  const batch = outDims.reduce((p, d) => p * d, 1);
  const bBatch = bDims.reduce((p, d) => p * d, 1);
  const aBatch = aDims.reduce((p, d) => p * d, 1);
  return {
    m,
    n,
    k: ka,
    batch,
    outShape: [...outDims, m, n],
    aIndex: batchIndices(outDims, aDims),
    bIndex: batchIndices(outDims, bDims),
    foldRows: !transposeA && bBatch === 1 && aBatch === batch,
  };
}

/** Runs a plan: C[i] = op(A[aIndex[i]])·op(B[bIndex[i]]) + beta·C[i], all addresses absolute. */
export function runPlan(
  blas: OpenBlas,
  plan: MatMulPlan,
  transposeA: boolean,
  transposeB: boolean,
  aAddr: number,
  bAddr: number,
  cAddr: number,
  beta = 0,
): void {
  const { m, n, k } = plan;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  if (plan.foldRows) {
    blas.sgemm(false, transposeB, plan.batch * m, n, k, 1, aAddr, lda, bAddr, ldb, beta, cAddr, n);
    return;
  }
  const aStride = m * k * 4, bStride = k * n * 4, cStride = m * n * 4;
  for (let i = 0; i < plan.batch; i++) {
    blas.sgemm(
      transposeA,
      transposeB,
      m,
      n,
      k,
      1,
      aAddr + plan.aIndex[i] * aStride,
      lda,
      bAddr + plan.bIndex[i] * bStride,
      ldb,
      beta,
      cAddr + i * cStride,
      n,
    );
  }
}

/** Inputs/attrs tfjs passes to `BatchMatMul`. */
export interface BatchMatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  attrs: { transposeA: boolean; transposeB: boolean };
}

/**
 * Native BatchMatMul, or null when it does not apply (non-float32, invalid shapes) so the caller
 * runs the stock kernel.
 */
export function nativeBatchMatMul(
  blas: OpenBlas,
  backend: WasmBackendLike,
  args: BatchMatMulArgs,
): TensorInfo | null {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const plan = planMatMul(a.shape, b.shape, !!transposeA, !!transposeB);
  if (plan === null) return null;
  const out = backend.makeOutput(plan.outShape, "float32");
  const size = plan.batch * plan.m * plan.n;
  if (size === 0) return out;
  if (plan.k === 0) {
    heapF32(backend, offsetOf(backend, out), size).fill(0);
    return out;
  }
  // Addresses only after makeOutput: allocation may have grown (and replaced) the heap buffer.
  const base = heapBase(backend);
  runPlan(
    blas,
    plan,
    !!transposeA,
    !!transposeB,
    base + offsetOf(backend, a),
    base + offsetOf(backend, b),
    base + offsetOf(backend, out),
  );
  return out;
}

/** Activations the native fused matMul applies itself; others go to the stock kernel. */
export const NATIVE_ACTIVATIONS: readonly string[] = [
  "linear",
  "relu",
  "relu6",
  "leakyrelu",
  "sigmoid",
  "elu",
];

/** Inputs/attrs tfjs passes to `_FusedMatMul`. */
export interface FusedMatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  attrs: { transposeA: boolean; transposeB: boolean; activation: string; leakyreluAlpha?: number };
}

function applyActivation(y: Float32Array, activation: string, alpha: number): void {
  const len = y.length;
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < len; i++) if (y[i] < 0) y[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < len; i++) y[i] = y[i] < 0 ? 0 : y[i] > 6 ? 6 : y[i];
      return;
    case "leakyrelu":
      for (let i = 0; i < len; i++) if (y[i] < 0) y[i] *= alpha;
      return;
    case "sigmoid":
      for (let i = 0; i < len; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
      return;
    case "elu":
      for (let i = 0; i < len; i++) if (y[i] < 0) y[i] = Math.expm1(y[i]);
      return;
  }
}

/**
 * Native `_FusedMatMul`: `act(op(a)·op(b) + bias)`. The bias must be one value or one row of length
 * N (any rank with leading 1s); PReLU and other activations return null (stock kernel).
 */
export function nativeFusedMatMul(
  blas: OpenBlas,
  backend: WasmBackendLike,
  args: FusedMatMulArgs,
): TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  if (preluActivationWeights != null || !NATIVE_ACTIVATIONS.includes(activation ?? "linear")) return null;
  const plan = planMatMul(a.shape, b.shape, !!transposeA, !!transposeB);
  if (plan === null || plan.k === 0) return null;
  let biasLen = 0;
  if (bias != null) {
    if (bias.dtype !== "float32") return null;
    biasLen = bias.shape.reduce((p, d) => p * d, 1);
    const rowShaped = bias.shape.slice(0, -1).every((d) => d === 1);
    if (!(biasLen === 1 || (biasLen === plan.n && rowShaped))) return null;
  }
  const out = backend.makeOutput(plan.outShape, "float32");
  const size = plan.batch * plan.m * plan.n;
  if (size === 0) return out;
  const outOffset = offsetOf(backend, out);
  const y = heapF32(backend, outOffset, size);
  let beta = 0;
  if (bias != null) {
    const biasView = heapF32(backend, offsetOf(backend, bias), biasLen);
    if (biasLen === 1) y.fill(biasView[0]);
    else {
      // Fill C with the bias row, doubling the filled prefix each copy; sgemm then adds A·B (beta = 1).
      y.set(biasView, 0);
      let filled = plan.n;
      while (filled < size) {
        const chunk = Math.min(filled, size - filled);
        y.copyWithin(filled, 0, chunk);
        filled += chunk;
      }
    }
    beta = 1;
  }
  const base = heapBase(backend);
  runPlan(
    blas,
    plan,
    !!transposeA,
    !!transposeB,
    base + offsetOf(backend, a),
    base + offsetOf(backend, b),
    base + outOffset,
    beta,
  );
  applyActivation(y, activation ?? "linear", leakyreluAlpha ?? 0.2);
  return out;
}
