/**
 * Worker for teardown_test.ts: opens OpenBLAS, says "ready", then multiplies 256×256 matrices until
 * it is terminated (so termination usually lands while OpenBLAS's thread pool is busy).
 */
/// <reference lib="deno.worker" />
import { addressOf, openOpenBlas } from "../../../../ml/native/openblas.ts";

const opened = openOpenBlas();
if (!opened.ok) throw new Error(opened.reason);
const blas = opened.blas;
const n = 256;
const a = new Float32Array(n * n).fill(1);
const b = new Float32Array(n * n).fill(1);
const c = new Float32Array(n * n);
self.postMessage({ ready: true, pinned: blas.pinned });
for (let i = 0;; i++) {
  blas.sgemm(false, false, n, n, n, 1, addressOf(a), n, addressOf(b), n, 0, addressOf(c), n);
  // Yields now and then so terminate() is not always delivered at the same point.
  if (i % 16 === 0) await new Promise((r) => setTimeout(r, 0));
}
