/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), as PyTorch's `torch.optim.AdamW`:
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   p ← p − lr·wd·p − lr·(m/(1−β1ᵗ)) / (sqrt(v/(1−β2ᵗ)) + ε).
 * Weight decay applies only to variables chosen by the caller (nanoGPT: matrices, not biases or
 * LayerNorm gains). Its state (step count, m, v) can be read and restored for checkpoints, and a global
 * gradient-norm clip is provided.
 */
import { tf } from "./backend.ts";
import type { Tensor, Variable } from "./tensor_types.ts";
import { ADAMW_KERNEL, type AdamWKernelAttrs } from "./native/adamw.ts";

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay coefficient. Default 0.1. */
  weightDecay?: number;
}

/** One optimized variable with its name and whether it decays. */
export interface ParamEntry {
  name: string;
  variable: Variable;
  decay: boolean;
}

/** Serializable optimizer state: step count and moments by parameter name. */
export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/** AdamW over a fixed list of named variables. */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly params: readonly ParamEntry[];
  /** Updates applied so far. */
  step = 0;
  readonly #m: Variable[];
  readonly #v: Variable[];

  constructor(params: ParamEntry[], options: AdamWOptions = {}) {
    this.params = params;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    const zeros = (p: ParamEntry) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false));
    this.#m = params.map(zeros);
    this.#v = params.map(zeros);
  }

  /** Applies one update with learning rate `lr`; `grads[i]` belongs to `params[i]`. */
  apply(grads: readonly Tensor[], lr: number): void {
    this.step++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - b1 ** this.step, c2 = 1 - b2 ** this.step;
    if (tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined) {
      this.#applyFused(grads, { lr, beta1: b1, beta2: b2, eps, c1, c2, decay: 0 });
      return;
    }
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.#m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.#v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.#m[i].assign(m);
        this.#v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        let next = tf.sub(p.variable, tf.mul(update, lr));
        if (p.decay && this.weightDecay > 0) next = tf.sub(next, tf.mul(p.variable, lr * this.weightDecay));
        p.variable.assign(next);
      });
    });
  }

  /** The same update through the fused native kernel (`ml/native/adamw.ts`): one kernel per parameter. */
  #applyFused(grads: readonly Tensor[], attrs: AdamWKernelAttrs): void {
    this.params.forEach((p, i) => {
      const decay = p.decay && this.weightDecay > 0 ? attrs.lr * this.weightDecay : 0;
      const [next, m, v] = tf.engine().runKernel(
        ADAMW_KERNEL,
        { p: p.variable, m: this.#m[i], v: this.#v[i], g: grads[i] },
        { ...attrs, decay } as unknown as tf.NamedAttrMap,
      ) as Tensor[];
      p.variable.assign(next);
      this.#m[i].assign(m);
      this.#v[i].assign(v);
      tf.dispose([next, m, v]);
    });
  }

  /** A copy of the state (for checkpoints). */
  async state(): Promise<AdamWState> {
    const m = new Map<string, Float32Array>(), v = new Map<string, Float32Array>();
    for (const [i, p] of this.params.entries()) {
      m.set(p.name, (await this.#m[i].data()) as Float32Array);
      v.set(p.name, (await this.#v[i].data()) as Float32Array);
    }
    return { step: this.step, m, v };
  }

  /** Restores a state saved by {@link state}; every parameter must be present with its size. */
  restore(state: AdamWState): void {
    this.params.forEach((p, i) => {
      const m = state.m.get(p.name), v = state.v.get(p.name);
      if (!m || !v || m.length !== p.variable.size || v.length !== p.variable.size) {
        throw new RangeError(`optimizer state lacks or mis-sizes "${p.name}"`);
      }
      tf.tidy(() => {
        this.#m[i].assign(tf.tensor(m, p.variable.shape));
        this.#v[i].assign(tf.tensor(v, p.variable.shape));
      });
    });
    this.step = state.step;
  }

  /** Releases the moment buffers. */
  dispose(): void {
    tf.dispose([...this.#m, ...this.#v]);
  }
}

/**
 * Scales `grads` so their global L2 norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`); returns the
 * new gradients (the caller disposes them and the old ones) and the norm before clipping.
 */
export async function clipByGlobalNorm(
  grads: readonly Tensor[],
  maxNorm: number,
): Promise<{ grads: Tensor[]; norm: number }> {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = (await normT.data())[0];
  normT.dispose();
  const scale = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}
