/**
 * A load-time check that the opened OpenBLAS computes correctly on this CPU (a wrong
 * `OPENBLAS_CORETYPE` or a broken build shows up here instead of as silently wrong training).
 */
import { addressOf, type OpenBlas } from "./openblas.ts";

function naive(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Returns null when sgemm and sgemv agree with a float64 reference, else what differed. */
export function selfTest(blas: OpenBlas): string | null {
  // Sizes above OpenBLAS's small-matrix path so the blocked (and threaded) kernels run too.
  const m = 67, n = 45, k = 130;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const a = Float32Array.from({ length: m * k }, rand);
  const b = Float32Array.from({ length: k * n }, rand);
  const c = new Float32Array(m * n);
  const addr = (x: Float32Array) => addressOf(x.buffer) + x.byteOffset;
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    blas.sgemm(ta, tb, m, n, k, 1, addr(a), ta ? m : k, addr(b), tb ? k : n, 0, addr(c), n);
    const ref = naive(a, b, m, n, k, ta, tb);
    for (let i = 0; i < ref.length; i++) {
      if (!(Math.abs(c[i] - ref[i]) <= 1e-4 * (1 + Math.abs(ref[i])))) {
        return `sgemm transA=${ta} transB=${tb} element ${i}: ${c[i]} vs ${ref[i]}`;
      }
    }
  }
  const x = Float32Array.from({ length: m }, rand);
  const y = new Float32Array(k);
  blas.sgemv(true, m, k, 1, addr(a), k, addr(x), 1, 0, addr(y), 1);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += a[i * k + j] * x[i];
    if (!(Math.abs(y[j] - s) <= 1e-4 * (1 + Math.abs(s)))) return `sgemv element ${j}: ${y[j]} vs ${s}`;
  }
  return null;
}
