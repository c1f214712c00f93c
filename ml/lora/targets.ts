/**
 * The linears of a model a LoRA configuration targets, checked before anything is changed: shared by
 * {@link LoraModel.apply} and `LoraAdapters.addAdapter`, which differ only in which layer kinds they
 * accept (`check`).
 */
import type { LinearLike, Module } from "../module.ts";
import { isTargetModule, type LoraConfig, rankAndAlphaFor } from "./config.ts";
import { LoraError } from "./errors.ts";

/**
 * The `(name, layer)` pairs of `model` that `config` targets, in module order. `check` accepts a
 * layer (returning it as the caller's type) or throws (`LORA_TARGET_NOT_LINEAR`, `LORA_ALREADY_APPLIED`).
 * Throws `LORA_NO_TARGETS` when nothing matches and `LORA_RANK_TOO_LARGE` when a rank exceeds a target's
 * min(in, out).
 */
export function targetLinears<L extends LinearLike>(
  model: Module,
  config: LoraConfig,
  check: (name: string, layer: LinearLike) => L,
): Array<[string, L]> {
  const targets = model.namedLinears().filter(([name]) => isTargetModule(config, name));
  if (targets.length === 0) {
    throw new LoraError(
      "LORA_NO_TARGETS",
      `no linear matches target_modules ${String(config.targetModules)}`,
    );
  }
  return targets.map(([name, layer]) => {
    const checked = check(name, layer);
    const { rank } = rankAndAlphaFor(config, name);
    if (rank > Math.min(layer.inFeatures, layer.outFeatures)) {
      throw new LoraError(
        "LORA_RANK_TOO_LARGE",
        `rank ${rank} exceeds min(in=${layer.inFeatures}, out=${layer.outFeatures}) of "${name}"`,
      );
    }
    return [name, checked];
  });
}

/** What a LoRA layer on target number `index` named `name` is built with (the same for both callers). */
export interface TargetLayerOptions {
  /** Rank r of A [r, in] and B [out, r]. */
  rank: number;
  /** LoRA alpha (scaling alpha/r, or alpha/√r with rsLoRA). */
  alpha: number;
  /** Dropout probability on the adapter's input while training. */
  dropout: number;
  /** Scale by alpha/√r (rsLoRA) instead of alpha/r. */
  useRslora: boolean;
  /** How A is initialized (B starts at zero). */
  init: LoraConfig["initLoraWeights"];
  /** The layer's own seed, derived from the adapter's seed and the target's index. */
  seed: number;
}

/**
 * The options of the LoRA layer on a target: its rank and alpha (per-module overrides applied) and a
 * seed derived from `seed` and the target's `index`, so an adapter added to `LoraAdapters` starts from
 * the same A as one applied by `LoraModel.apply` with the same seed.
 */
export function targetLayerOptions(
  config: LoraConfig,
  name: string,
  seed: number,
  index: number,
): TargetLayerOptions {
  const { rank, alpha } = rankAndAlphaFor(config, name);
  return {
    rank,
    alpha,
    dropout: config.dropout,
    useRslora: config.useRslora,
    init: config.initLoraWeights,
    seed: seed * 100_003 + index,
  };
}
