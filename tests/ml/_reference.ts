/** Float64 plain-JS references and helpers shared by the ML tests. */
import { Rng } from "../../ml/random.ts";

/** A dense float64 matrix as rows. */
export type Mat = number[][];

/** rows×cols values from N(0, std²). */
export function randMat(rows: number, cols: number, rng: Rng, std = 1): Mat {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal(0, std)));
}

/** a·b */
export function matmul(a: Mat, b: Mat): Mat {
  const n = b[0].length;
  return a.map((row) => {
    const out = new Array<number>(n).fill(0);
    for (let k = 0; k < row.length; k++) for (let j = 0; j < n; j++) out[j] += row[k] * b[k][j];
    return out;
  });
}

/** aᵀ */
export function transpose(a: Mat): Mat {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

/** Row-wise softmax. */
export function softmaxRows(a: Mat): Mat {
  return a.map((row) => {
    const m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m));
    const s = e.reduce((p, c) => p + c, 0);
    return e.map((x) => x / s);
  });
}

/** Float64 attention for one head: softmax(q·kᵀ/sqrt(dk) masked)·v; keep[i][j] = 0 masks. */
export function attentionRef(q: Mat, k: Mat, v: Mat, keep?: number[][]): { out: Mat; w: Mat } {
  const dk = q[0].length;
  const scores = matmul(q, transpose(k)).map((row, i) =>
    row.map((s, j) => (keep && keep[i][j] === 0 ? -Infinity : s / Math.sqrt(dk)))
  );
  const w = softmaxRows(scores);
  return { out: matmul(w, v), w };
}

/** Largest absolute difference between two flat arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Flattens nested rows. */
export function flat(m: Mat | Mat[]): number[] {
  return (m as unknown[]).flat(2) as number[];
}
