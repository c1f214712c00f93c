/**
 * A fused AdamW update as one wasm-backend kernel: for one parameter, reads p, m, v and the gradient
 * from the wasm heap and writes the new p, m and v in a single JS loop, instead of the ~14 tfjs ops
 * (each a kernel call plus engine bookkeeping) that `ml/optim.ts` composes otherwise. Registered by
 * `installNativeKernels` under {@link ADAMW_KERNEL}; `AdamW.apply` uses it when it is registered for the
 * active backend.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { simdKernels } from "./simd.ts";
import { heapF32, offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Name of the fused kernel in tfjs's registry. */
export const ADAMW_KERNEL = "MlAdamWUpdate";

/** Scalars of one update: the bias corrections and the decay are folded in by the caller. */
export interface AdamWKernelAttrs {
  /** Learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 − β1ᵗ. */
  c1: number;
  /** 1 − β2ᵗ. */
  c2: number;
  /** lr · weight decay, or 0 for parameters that do not decay. */
  decay: number;
}

/**
 * The update, as `ml/optim.ts` writes it: m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g²,
 * p' = p − lr·(m'/c1)/(sqrt(v'/c2) + ε) − decay·p. Returns [p', m', v'] (new tensors); null unless all
 * four inputs are float32 of one size.
 */
export function fusedAdamW(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { p: TensorInfo; m: TensorInfo; v: TensorInfo; g: TensorInfo }; attrs: AdamWKernelAttrs },
): TensorInfo[] | null {
  const { p, m, v, g } = args.inputs;
  const n = p.shape.reduce((a, d) => a * d, 1);
  for (const t of [p, m, v, g]) {
    if (t.dtype !== "float32" || t.shape.reduce((a, d) => a * d, 1) !== n) return null;
  }
  const { lr, beta1, beta2, eps, c1, c2, decay } = args.attrs;
  const outs = [p, m, v].map((t) => backend.makeOutput([...t.shape], "float32"));
  const [po0, mo0, vo0] = outs.map((t) => offsetOf(backend, t));
  const ptrs = {
    p: offsetOf(backend, p),
    m: offsetOf(backend, m),
    v: offsetOf(backend, v),
    g: offsetOf(backend, g),
    po: po0,
    mo: mo0,
    vo: vo0,
  };
  // wasm SIMD, four floats at a time (float32 arithmetic); the JS loop below does the rest.
  const done = simdKernels(backend)?.adamw(ptrs, n, {
    beta1,
    beta2,
    lrOverC1: lr / c1,
    invC2: 1 / c2,
    eps,
    decay,
  }) ?? 0;
  if (done === n) return outs;
  const view = (at: number) => heapF32(backend, at + 4 * done, n - done);
  const [pi, mi, vi, gi, po, mo, vo] = [ptrs.p, ptrs.m, ptrs.v, ptrs.g, po0, mo0, vo0].map(view);
  const a1 = 1 - beta1, a2 = 1 - beta2;
  for (let i = 0; i < n - done; i++) {
    const gr = gi[i];
    const mm = beta1 * mi[i] + a1 * gr;
    const vv = beta2 * vi[i] + a2 * gr * gr;
    mo[i] = mm;
    vo[i] = vv;
    po[i] = pi[i] - (lr * (mm / c1)) / (Math.sqrt(vv / c2) + eps) - decay * pi[i];
  }
  return outs;
}
