/**
 * Attention as in "Attention Is All You Need": `softmax(Q·Kᵀ/sqrt(d_k) + mask)·V`, and a multi-head
 * layer with separate Q/K/V/O projections registered as named linears (`q`, `k`, `v`, `o`) so LoRA can
 * target them.
 */
import { tf } from "./backend.ts";
import { Linear, type LinearInit } from "./linear.ts";
import { type ForwardOptions, Module } from "./module.ts";
import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "./tensor_types.ts";

/**
 * Added to the score of a masked position. exp(-1e9) underflows to exactly 0 in float32, so masked
 * positions get weight exactly 0 while a fully masked row stays finite (uniform) instead of NaN.
 */
export const MASKED_SCORE: number = -1e9;

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions extends ForwardOptions {
  /** Keep-mask broadcastable to [..., Lq, Lk]: 1 = attend, 0 = masked. */
  mask?: Tensor;
  /** Hide future keys: query i sees keys j <= i + (Lk - Lq). */
  causal?: boolean;
  /** Dropout rate on the attention weights, applied only when `training`. Default 0. */
  dropout?: number;
}

/** Output of attention: the attended values and the softmax weights (before dropout). */
export interface AttentionResult {
  /** [..., Lq, d_v] */
  output: Tensor;
  /** [..., Lq, Lk]; each row sums to 1. */
  weights: Tensor;
}

/** The [Lq, Lk] causal keep-mask (1 on and below the shifted diagonal). */
export function causalMask(lq: number, lk: number): Tensor2D {
  const data = new Float32Array(lq * lk);
  const shift = lk - lq;
  for (let i = 0; i < lq; i++) {
    for (let j = 0; j <= Math.min(lk - 1, i + shift); j++) data[i * lk + j] = 1;
  }
  return tf.tensor2d(data, [lq, lk]);
}

/**
 * `softmax(q·kᵀ/sqrt(d_k) + mask)·v` for q [..., Lq, d_k], k [..., Lk, d_k], v [..., Lk, d_v] with equal
 * leading axes.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): AttentionResult {
  return tf.tidy(() => {
    const dk = q.shape[q.rank - 1];
    const lq = q.shape[q.rank - 2];
    const lk = k.shape[k.rank - 2];
    let scores: Tensor = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk));
    let keep: Tensor | null = options.mask ? tf.cast(options.mask, "float32") : null;
    if (options.causal) {
      const c = causalMask(lq, lk);
      keep = keep ? tf.mul(keep, c) : c;
    }
    if (keep) scores = tf.add(scores, tf.mul(tf.sub(1, keep), MASKED_SCORE));
    const weights = tf.softmax(scores);
    const rate = options.dropout ?? 0;
    const used = options.training && rate > 0 ? tf.dropout(weights, rate, undefined, options.seed) : weights;
    return { output: tf.matMul(used, v), weights };
  });
}

/** Options of a {@link MultiHeadAttention} layer. */
export interface MultiHeadAttentionOptions {
  /** Model width; must be divisible by `heads`. */
  dModel: number;
  /** Number of heads. */
  heads: number;
  /** Bias on the projections. Default true. */
  bias?: boolean;
  /** Dropout on attention weights during training. Default 0. */
  dropout?: number;
  /** Initialization of the four projections. Default PyTorch's. */
  init?: LinearInit;
  /** Seed of the projections' initial weights. Default 0. */
  seed?: number;
}

/** Per-call options of {@link MultiHeadAttention.forward}. */
export interface MultiHeadForwardOptions extends ForwardOptions {
  /** Keys/values source [B, Lk, dModel] for cross-attention; self-attention when unset. */
  context?: Tensor;
  /** Causal (decoder) masking. */
  causal?: boolean;
  /** Padding keep-mask [B, Lk]: 1 = real token, 0 = padding (gets zero weight). */
  paddingMask?: Tensor;
}

/** Multi-head attention with projections `q`, `k`, `v`, `o` (each [dModel, dModel]). */
export class MultiHeadAttention extends Module {
  /** Model width. */
  readonly dModel: number;
  /** Number of heads. */
  readonly heads: number;
  /** Width of one head, dModel / heads. */
  readonly headDim: number;
  /** Attention-weight dropout rate (training only). */
  readonly dropout: number;

  /** Registers `q`, `k`, `v`, `o` linears of dModel x dModel. */
  constructor(options: MultiHeadAttentionOptions) {
    super();
    const { dModel, heads } = options;
    if (!Number.isInteger(heads) || heads <= 0 || dModel % heads !== 0) {
      throw new RangeError(`dModel ${dModel} is not divisible into ${heads} heads`);
    }
    this.dModel = dModel;
    this.heads = heads;
    this.headDim = dModel / heads;
    this.dropout = options.dropout ?? 0;
    const seed = options.seed ?? 0;
    for (const [i, name] of ["q", "k", "v", "o"].entries()) {
      this.registerLinear(
        name,
        new Linear(dModel, dModel, {
          bias: options.bias ?? true,
          init: options.init,
          seed: seed * 4 + i + 1,
        }),
      );
    }
  }

  /** Self- (or cross-) attention of x [B, Lq, dModel]; returns output [B, Lq, dModel] and weights [B, H, Lq, Lk]. */
  forward(x: Tensor3D, options: MultiHeadForwardOptions = {}): AttentionResult {
    return tf.tidy(() => {
      const source = options.context ?? x;
      const q = this.#split(this.linear("q").forward(x, options));
      const k = this.#split(this.linear("k").forward(source, options));
      const v = this.#split(this.linear("v").forward(source, options));
      const [b, lk] = source.shape;
      const mask = options.paddingMask ? tf.reshape(options.paddingMask, [b, 1, 1, lk]) : undefined;
      const { output, weights } = scaledDotProductAttention(q, k, v, {
        mask,
        causal: options.causal,
        dropout: this.dropout,
        training: options.training,
        seed: options.seed,
      });
      const merged = tf.reshape(tf.transpose(output, [0, 2, 1, 3]), [b, x.shape[1], this.dModel]);
      return { output: this.linear("o").forward(merged, options), weights };
    });
  }

  /** [B, L, dModel] -> [B, H, L, headDim] */
  #split(t: Tensor): Tensor4D {
    const [b, l] = t.shape;
    return tf.transpose(tf.reshape(t, [b, l, this.heads, this.headDim]), [0, 2, 1, 3]);
  }
}
