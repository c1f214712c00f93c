/**
 * A GPT-style decoder in one file, after nanoGPT's `model.py`: token + learned position embeddings,
 * pre-LayerNorm blocks (`x + attn(ln_1(x))`, `x + mlp(ln_2(x))`) of the project's
 * {@link MultiHeadAttention} and a GELU MLP, a final LayerNorm, and an output head tied to the token
 * embedding. Linears are named `blocks.N.attn.{q,k,v,o}` and `blocks.N.mlp.{fc,proj}` and always
 * reached through `this.linear(...)`, so LoRA adapters apply.
 *
 * The token embedding is a gather with a custom gradient (a one-hot matMul), because tfjs-wasm has no
 * `UnsortedSegmentSum`, which `tf.gather`'s own gradient needs.
 */
import { z } from "zod";
import { MultiHeadAttention, scaledDotProductAttention } from "./attention.ts";
import { tf } from "./backend.ts";
import { Linear, matMul2d } from "./linear.ts";
import { type ForwardOptions, Module } from "./module.ts";
import { GELU_KERNEL } from "./native/gelu.ts";
import { LAYER_NORM_KERNEL } from "./native/layer_norm.ts";
import { LOG_SOFTMAX_KERNEL } from "./native/softmax.ts";
import { normalArray, Rng } from "./random.ts";
import type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable2D,
} from "./tensor_types.ts";
import type * as tfc from "@tensorflow/tfjs-core";

/** Sizes of a {@link Gpt}. */
export const gptConfigSchema = z.object({
  /** Number of token ids. */
  vocabSize: z.number().int().min(2),
  /** Longest context (number of learned positions). */
  blockSize: z.number().int().min(1),
  /** Number of blocks. */
  layers: z.number().int().min(1),
  /** Attention heads per block. */
  heads: z.number().int().min(1),
  /** Model width; divisible by `heads`. */
  dModel: z.number().int().min(1),
  /** MLP hidden width = mlpRatio · dModel. */
  mlpRatio: z.number().int().min(1).default(4),
  /** Biases in linears and LayerNorms. */
  bias: z.boolean().default(true),
}).refine((c) => c.dModel % c.heads === 0, {
  message: "dModel must be divisible by heads",
  path: ["dModel"],
});

/** Sizes of a {@link Gpt} (validated with zod when a model is built). */
export interface GptConfig {
  /** Number of token ids. */
  vocabSize: number;
  /** Longest context (number of learned positions). */
  blockSize: number;
  /** Number of blocks. */
  layers: number;
  /** Attention heads per block. */
  heads: number;
  /** Model width; divisible by `heads`. */
  dModel: number;
  /** MLP hidden width = mlpRatio · dModel. */
  mlpRatio: number;
  /** Biases in linears and LayerNorms. */
  bias: boolean;
}

/** What {@link Gpt}'s constructor accepts: {@link GptConfig} with `mlpRatio` and `bias` optional. */
export type GptConfigInput =
  & Omit<GptConfig, "mlpRatio" | "bias">
  & Partial<Pick<GptConfig, "mlpRatio" | "bias">>;

/** Per-layer cached keys and values ([B, H, L, headDim] each) for incremental decoding. */
export interface KvCache {
  /** One entry per block; null before the first token. */
  layers: Array<{ k: Tensor4D; v: Tensor4D } | null>;
  /** Number of positions already cached. */
  length: number;
}

/** Releases a cache's tensors. */
export function disposeKvCache(cache: KvCache): void {
  for (const l of cache.layers) if (l) tf.dispose([l.k, l.v]);
  cache.layers = cache.layers.map(() => null);
  cache.length = 0;
}

/** `table[ids]` whose gradient is `oneHot(ids)ᵀ·dy` (works on the wasm backend). */
export function embeddingLookup(table: Tensor2D, ids: Tensor1D): Tensor2D {
  const lookup = tf.customGrad((...args: Array<Tensor | ((ts: Tensor[]) => void)>) => {
    const t = args[0] as Tensor2D;
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: Tensor) => {
        const hot = tf.cast(tf.oneHot(ids, t.shape[0]), "float32") as Tensor2D;
        return matMul2d(tf.transpose(hot), dy as Tensor2D);
      },
    };
  });
  return lookup(table) as Tensor2D;
}

/** A variable holding `t`'s values; `t` is released (tf.variable copies it). */
function variableOf<R extends Rank>(t: tfc.Tensor<R>): tfc.Variable<R> {
  const v = tf.variable(t);
  t.dispose();
  return v;
}

/** True when `kernel` (a fused native kernel) is registered for the active backend. */
function fused(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/**
 * GELU, tanh approximation (GPT-2's). One fused kernel (and one for its gradient) when the native
 * kernels are installed (`ml/native/gelu.ts`); composed tfjs ops otherwise.
 */
export function gelu(x: Tensor): Tensor {
  if (x.dtype === "float32" && fused(GELU_KERNEL)) {
    return tf.engine().runKernel(GELU_KERNEL, { x } as unknown as tfc.NamedTensorMap) as Tensor;
  }
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(tf.mul(x, x), x))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}

/**
 * Log-softmax over the last axis. One fused kernel (and one for its gradient) when the native kernels
 * are installed (`ml/native/softmax.ts`); `tf.logSoftmax` otherwise.
 */
export function logSoftmax(x: Tensor): Tensor {
  if (x.dtype === "float32" && fused(LOG_SOFTMAX_KERNEL)) {
    return tf.engine().runKernel(LOG_SOFTMAX_KERNEL, { x } as unknown as tfc.NamedTensorMap) as Tensor;
  }
  return tf.logSoftmax(x);
}

/** LayerNorm over the last axis with gain `weight` and optional `bias`. */
export class LayerNorm extends Module {
  readonly #bias: boolean;
  /** A LayerNorm over the last axis of width `dim` (gain 1, optional bias 0). */
  constructor(dim: number, bias: boolean, readonly eps = 1e-5) {
    super();
    this.#bias = bias;
    this.registerParameter("weight", variableOf(tf.ones([dim])));
    if (bias) this.registerParameter("bias", variableOf(tf.zeros([dim])));
  }

  /** Normalizes x [..., dim]. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.parameter("weight"), this.#bias ? this.parameter("bias") : undefined, this.eps);
  }
}

/**
 * LayerNorm of x [..., d] over the last axis with gain [d] and optional bias [d]. One fused kernel (and
 * one for its gradient) when the native kernels are installed (`ml/native/layer_norm.ts`); composed tfjs
 * ops otherwise.
 */
export function layerNorm(x: Tensor, weight: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  if (x.dtype === "float32" && fused(LAYER_NORM_KERNEL)) {
    const inputs = bias === undefined ? { x, gamma: weight } : { x, gamma: weight, beta: bias };
    return tf.engine().runKernel(LAYER_NORM_KERNEL, inputs as unknown as tfc.NamedTensorMap, {
      eps,
    }) as Tensor;
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const y = tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), weight);
    return bias === undefined ? y : tf.add(y, bias);
  });
}

/** The feed-forward part of a block: `proj(gelu(fc(x)))`. */
export class Mlp extends Module {
  /** `fc` d -> hidden and `proj` hidden -> d, initial weights drawn from `rng`. */
  constructor(d: number, hidden: number, bias: boolean, projStd: number, rng: Rng) {
    super();
    this.registerLinear(
      "fc",
      new Linear(d, hidden, { bias, init: { kind: "normal", std: 0.02 }, seed: rng.seed() }),
    );
    this.registerLinear(
      "proj",
      new Linear(hidden, d, { bias, init: { kind: "normal", std: projStd }, seed: rng.seed() }),
    );
  }

  /** x [..., d] -> [..., d] */
  forward(x: Tensor, options: ForwardOptions = {}): Tensor {
    return tf.tidy(() => this.linear("proj").forward(gelu(this.linear("fc").forward(x, options)), options));
  }
}

/** One pre-LayerNorm transformer block. */
export class Block extends Module {
  /** LayerNorm before attention. */
  readonly ln_1: LayerNorm;
  /** Causal multi-head self-attention. */
  readonly attn: MultiHeadAttention;
  /** LayerNorm before the MLP. */
  readonly ln_2: LayerNorm;
  /** The feed-forward part. */
  readonly mlp: Mlp;

  /** A block of `config`'s sizes, initial weights drawn from `rng`. */
  constructor(config: GptConfig, rng: Rng) {
    super();
    const { dModel: d, bias } = config;
    const projStd = 0.02 / Math.sqrt(2 * config.layers);
    this.ln_1 = this.registerModule("ln_1", new LayerNorm(d, bias));
    this.attn = this.registerModule(
      "attn",
      new MultiHeadAttention({
        dModel: d,
        heads: config.heads,
        bias,
        init: { kind: "normal", std: 0.02 },
        seed: rng.seed(),
      }),
    );
    // GPT-2 scales the residual projections' init by 1/sqrt(2·layers).
    const o = this.attn.linear("o") as Linear;
    tf.tidy(() => o.weight.assign(tf.tensor2d(normalArray(d * d, 0, projStd, rng), [d, d])));
    this.ln_2 = this.registerModule("ln_2", new LayerNorm(d, bias));
    this.mlp = this.registerModule("mlp", new Mlp(d, config.mlpRatio * d, bias, projStd, rng));
  }

  /** Full causal self-attention over x [B, T, d]. */
  forward(x: Tensor3D, options: ForwardOptions = {}): Tensor3D {
    return tf.tidy(() => {
      const a = this.attn.forward(this.ln_1.forward(x) as Tensor3D, { ...options, causal: true }).output;
      const h = tf.add(x, a);
      return tf.add(h, this.mlp.forward(this.ln_2.forward(h), options)) as Tensor3D;
    });
  }

  /**
   * The same computation for new positions x [B, Tnew, d] attending to cached keys/values; returns the
   * output and the cache grown by the new positions (the caller owns both).
   */
  forwardCached(
    x: Tensor3D,
    past: { k: Tensor4D; v: Tensor4D } | null,
  ): { y: Tensor3D; k: Tensor4D; v: Tensor4D } {
    return tf.tidy(() => {
      const { heads, headDim, dModel } = this.attn;
      const [b, t] = x.shape;
      const split = (u: Tensor) =>
        tf.transpose(tf.reshape(u, [b, t, heads, headDim]), [0, 2, 1, 3]) as Tensor4D;
      const h1 = this.ln_1.forward(x);
      const q = split(this.attn.linear("q").forward(h1));
      let k = split(this.attn.linear("k").forward(h1));
      let v = split(this.attn.linear("v").forward(h1));
      if (past) {
        k = tf.concat([past.k, k], 2);
        v = tf.concat([past.v, v], 2);
      }
      const { output } = scaledDotProductAttention(q, k, v, { causal: true });
      const merged = tf.reshape(tf.transpose(output, [0, 2, 1, 3]), [b, t, dModel]);
      const h = tf.add(x, this.attn.linear("o").forward(merged));
      const y = tf.add(h, this.mlp.forward(this.ln_2.forward(h))) as Tensor3D;
      return { y, k, v };
    });
  }
}

/** The GPT decoder. */
export class Gpt extends Module {
  /** Sizes. */
  readonly config: GptConfig;
  /** Token embedding [vocab, d], also the output head. */
  readonly wte: Variable2D;
  /** Position embedding [blockSize, d]. */
  readonly wpe: Variable2D;
  /** The blocks, in order. */
  readonly blocks: Block[] = [];
  /** Final LayerNorm. */
  readonly ln_f: LayerNorm;

  /** A model with GPT-2-style initial weights drawn from `seed`. */
  constructor(config: GptConfigInput, seed = 0) {
    super();
    const c = gptConfigSchema.parse(config);
    this.config = c;
    const rng = new Rng(seed);
    this.wte = this.registerParameter(
      "wte",
      variableOf(tf.tensor2d(normalArray(c.vocabSize * c.dModel, 0, 0.02, rng), [c.vocabSize, c.dModel])),
    ) as Variable2D;
    this.wpe = this.registerParameter(
      "wpe",
      variableOf(tf.tensor2d(normalArray(c.blockSize * c.dModel, 0, 0.01, rng), [c.blockSize, c.dModel])),
    ) as Variable2D;
    for (let i = 0; i < c.layers; i++) {
      this.blocks.push(this.registerModule(`blocks.${i}`, new Block(c, rng)));
    }
    this.ln_f = this.registerModule("ln_f", new LayerNorm(c.dModel, c.bias));
  }

  /** Embeds ids [B, T] at positions offset..offset+T-1 -> [B, T, d]. */
  #embed(ids: Tensor2D, offset: number): Tensor3D {
    const [b, t] = ids.shape;
    if (offset + t > this.config.blockSize) {
      throw new RangeError(`sequence of ${offset + t} exceeds blockSize ${this.config.blockSize}`);
    }
    const tok = tf.reshape(embeddingLookup(this.wte, tf.reshape(ids, [b * t]) as Tensor1D), [b, t, -1]);
    return tf.add(tok, tf.slice(this.wpe, [offset, 0], [t, -1])) as Tensor3D;
  }

  /** Final LayerNorm and tied head: h [B, T, d] -> logits [B, T, vocab]. */
  #head(h: Tensor3D): Tensor3D {
    const [b, t, d] = h.shape;
    const flat = tf.reshape(this.ln_f.forward(h), [b * t, d]) as Tensor2D;
    return tf.reshape(matMul2d(flat, tf.transpose(this.wte)), [b, t, this.config.vocabSize]);
  }

  /** Logits [B, T, vocab] for token ids [B, T] (int32), T ≤ blockSize. */
  forward(ids: Tensor2D, options: ForwardOptions = {}): Tensor3D {
    return tf.tidy(() => {
      let x = this.#embed(ids, 0);
      for (const block of this.blocks) x = block.forward(x, options);
      return this.#head(x);
    });
  }

  /**
   * Σ weight·(−log p(target)) for ids [B, T] predicting targets [B, T], each position weighted by
   * `weights` [B, T] (1 = counts, 0 = masked, e.g. an Alpaca prompt or padding). Dividing by the
   * total weight of a whole (accumulated) batch gives its mean loss.
   */
  lossSum(
    ids: Tensor2D,
    targets: Tensor2D,
    weights: Tensor2D,
    options: ForwardOptions = {},
  ): Scalar {
    return tf.tidy(() => {
      const logits = this.forward(ids, options);
      const [b, t, v] = logits.shape;
      const logp = logSoftmax(tf.reshape(logits, [b * t, v]));
      const hot = tf.oneHot(tf.reshape(targets, [b * t]) as Tensor1D, v);
      const nll = tf.neg(tf.sum(tf.mul(logp, tf.cast(hot, "float32")), -1));
      return tf.sum(tf.mul(nll, tf.reshape(weights, [b * t])));
    });
  }

  /** Masked mean cross-entropy (Σ weight·nll / Σ weight). */
  loss(
    ids: Tensor2D,
    targets: Tensor2D,
    weights: Tensor2D,
    options: ForwardOptions = {},
  ): Scalar {
    return tf.tidy(() => {
      const count = tf.maximum(tf.sum(weights), 1e-9);
      return tf.div(this.lossSum(ids, targets, weights, options), count);
    });
  }

  /** A fresh, empty KV cache for this model. */
  newCache(): KvCache {
    return { layers: this.blocks.map(() => null), length: 0 };
  }

  /**
   * Logits [B, Tnew, vocab] for new ids [B, Tnew] placed after the `cache.length` cached positions;
   * the cache is updated in place (old tensors released).
   */
  forwardCached(ids: Tensor2D, cache: KvCache): Tensor3D {
    const out = tf.tidy(() => {
      let x = this.#embed(ids, cache.length);
      const next: Array<{ k: Tensor4D; v: Tensor4D }> = [];
      this.blocks.forEach((block, i) => {
        const r = block.forwardCached(x, cache.layers[i]);
        x = r.y;
        next.push({ k: tf.keep(r.k), v: tf.keep(r.v) });
      });
      return { logits: this.#head(x), next };
    });
    for (const l of cache.layers) if (l) tf.dispose([l.k, l.v]);
    cache.layers = out.next;
    cache.length += ids.shape[1];
    return out.logits;
  }
}
