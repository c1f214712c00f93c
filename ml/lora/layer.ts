/**
 * The LoRA linear layer (PEFT's `lora.Linear`): a frozen dense layer plus a trainable low-rank update,
 * `y = x·W0 + b + s·dropout(x)·Aᵀ·Bᵀ` with A [r, in], B [out, r] in PyTorch layout and s = alpha/r
 * (alpha/sqrt(r) with rsLoRA).
 */
import { tf } from "../backend.ts";
import { denseForward, type Linear, matMul2d, variableOf } from "../linear.ts";
import type { ForwardOptions, LinearLike } from "../module.ts";
import { kaimingUniformBound, normalArray, Rng, uniformArray } from "../random.ts";
import { loraScaling } from "./config.ts";
import { LoraError } from "./errors.ts";
import type { Tensor, Tensor2D, Variable, Variable2D } from "../tensor_types.ts";

/** Options of one {@link LoraLinear}. */
export interface LoraLinearOptions {
  /** Rank r; 1 <= r <= min(in, out). */
  rank: number;
  /** Scaling numerator. */
  alpha: number;
  /** Dropout rate on the LoRA path's input in training. Default 0. */
  dropout?: number;
  /** alpha/sqrt(r) instead of alpha/r. Default false. */
  useRslora?: boolean;
  /** A's initialization (B is always zeros). Default `kaiming`. */
  init?: "kaiming" | "gaussian";
  /**
   * Seed of A's initial values and of this layer's own dropout stream: a seeded forward pass
   * (`ForwardOptions.seed`) draws this layer's mask from both seeds, so every adapted layer gets an
   * independent mask, as PEFT's per-layer `nn.Dropout` does. Default 0.
   */
  seed?: number;
  /** Whether the base layer's bias trains (PEFT's `bias` = `all` / `lora_only`). Default false. */
  trainBias?: boolean;
}

/** A dense layer with a LoRA update; the base weight is frozen. */
export class LoraLinear implements LinearLike {
  /** The wrapped layer (its weight is frozen; it holds W0 + ΔW while merged). */
  readonly base: Linear;
  /** Rank r. */
  readonly rank: number;
  /** Alpha. */
  readonly alpha: number;
  /** alpha/r or alpha/sqrt(r). */
  readonly scaling: number;
  /** LoRA dropout rate. */
  readonly dropout: number;
  /** lora_A.weight, [r, in]. */
  readonly loraA: Variable2D;
  /** lora_B.weight, [out, r]. */
  readonly loraB: Variable2D;
  #merged = false;
  #enabled = true;
  readonly #dropoutStream: number;

  /** Wraps `base` (whose weight is frozen from now on) with A drawn from `options.seed` and B = 0. */
  constructor(base: Linear, options: LoraLinearOptions) {
    const { rank } = options;
    const limit = Math.min(base.inFeatures, base.outFeatures);
    if (!Number.isInteger(rank) || rank < 1 || rank > limit) {
      throw new LoraError(
        "LORA_RANK_TOO_LARGE",
        `rank ${rank} is not in [1, min(in=${base.inFeatures}, out=${base.outFeatures}) = ${limit}]`,
      );
    }
    this.base = base;
    this.rank = rank;
    this.alpha = options.alpha;
    this.scaling = loraScaling(rank, options.alpha, options.useRslora ?? false);
    this.dropout = options.dropout ?? 0;
    this.#dropoutStream = options.seed ?? 0;
    const rng = new Rng(options.seed ?? 0);
    const n = rank * base.inFeatures;
    const a = (options.init ?? "kaiming") === "kaiming"
      ? uniformArray(n, -kaimingUniformBound(base.inFeatures), kaimingUniformBound(base.inFeatures), rng)
      : normalArray(n, 0, 1 / rank, rng);
    this.loraA = variableOf(tf.tensor2d(a, [rank, base.inFeatures]), true);
    this.loraB = variableOf(tf.zeros([base.outFeatures, rank]) as Tensor2D, true);
    base.weight.trainable = false;
    if (base.bias) base.bias.trainable = options.trainBias ?? false;
  }

  /** Size of the last input axis. */
  get inFeatures(): number {
    return this.base.inFeatures;
  }

  /** Size of the last output axis. */
  get outFeatures(): number {
    return this.base.outFeatures;
  }

  /** Whether ΔW is currently folded into the base weight. */
  get merged(): boolean {
    return this.#merged;
  }

  /** Whether the adapter contributes to the output. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Turns the adapter back on. */
  enable(): void {
    this.#enabled = true;
  }

  /** Turns the adapter off: outputs are the base layer's (a merged adapter is unmerged first, as PEFT does). */
  disable(): void {
    if (this.#merged) this.unmerge();
    this.#enabled = false;
  }

  /** ΔW in tfjs layout [in, out]: s·Aᵀ·Bᵀ = s·(B·A)ᵀ. */
  delta(): Tensor2D {
    return tf.tidy(() =>
      tf.mul(tf.matMul(tf.transpose(this.loraA), tf.transpose(this.loraB)), this.scaling) as Tensor2D
    );
  }

  /** Folds ΔW into the base weight; inference then costs exactly one dense matMul. No-op if merged. */
  merge(): void {
    if (this.#merged) return;
    tf.tidy(() => this.base.weight.assign(tf.add(this.base.weight, this.delta())));
    this.#merged = true;
  }

  /** Subtracts ΔW from the base weight again. No-op if not merged. */
  unmerge(): void {
    if (!this.#merged) return;
    tf.tidy(() => this.base.weight.assign(tf.sub(this.base.weight, this.delta())));
    this.#merged = false;
  }

  /** `x·W0 + b + s·dropout(x)·Aᵀ·Bᵀ`; the base output alone when disabled, `x·(W0+ΔW) + b` when merged. */
  forward(x: Tensor, options: ForwardOptions = {}): Tensor {
    if (!this.#enabled || this.#merged) return this.base.forward(x, options);
    return tf.tidy(() => {
      const y = denseForward(x, this.base.weight, this.base.bias);
      const dropped = options.training && this.dropout > 0
        ? tf.dropout(x, this.dropout, undefined, layerSeed(options.seed, this.#dropoutStream))
        : x;
      const flat = tf.reshape(dropped, [-1, this.inFeatures]) as Tensor2D;
      const low = matMul2d(matMul2d(flat, tf.transpose(this.loraA)), tf.transpose(this.loraB));
      return tf.add(y, tf.reshape(tf.mul(low, this.scaling), y.shape));
    });
  }

  /** PEFT's local names: `base_layer.weight`, `base_layer.bias`, `lora_A.weight`, `lora_B.weight`. */
  namedVariables(): Array<[string, Variable]> {
    return [
      ...this.base.namedVariables().map(([n, v]): [string, Variable] => [`base_layer.${n}`, v]),
      ["lora_A.weight", this.loraA],
      ["lora_B.weight", this.loraB],
    ];
  }

  /** Releases A, B and the base layer. */
  dispose(): void {
    this.loraA.dispose();
    this.loraB.dispose();
    this.base.dispose();
  }

  /** Releases A and B only, leaving the base layer to its new owner (used when unloading). */
  disposeAdapter(): void {
    this.loraA.dispose();
    this.loraB.dispose();
  }
}

/**
 * The dropout seed of one layer for a seeded forward pass: the pass's seed mixed with the layer's stream
 * (a 32-bit integer hash), so layers never share a mask. Unseeded passes stay unseeded (fresh masks).
 */
export function layerSeed(passSeed: number | undefined, stream: number): number | undefined {
  if (passSeed === undefined) return undefined;
  let h = (Math.imul(passSeed | 0, 0x9e3779b1) ^ Math.imul((stream | 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
