/**
 * Model-level LoRA operations (PEFT's `LoraModel`): apply adapters to the target linears of a
 * {@link Module} tree, freeze everything else, report parameter counts, merge/unmerge, disable,
 * unload, and save/load adapters as PEFT does (`adapter_config.json` + `adapter_model.safetensors`).
 */
import { tf } from "../backend.ts";
import { Linear } from "../linear.ts";
import type { Module } from "../module.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  f32Tensor,
  type SafeTensor,
  toFloat32,
} from "../safetensors.ts";
import {
  fromPeftConfigJson,
  isTargetModule,
  type LoraConfig,
  type LoraConfigInput,
  parseLoraConfig,
  rankAndAlphaFor,
  toPeftConfigJson,
} from "./config.ts";
import { LoraError } from "./errors.ts";
import { LoraLinear } from "./layer.ts";
import type { Variable } from "../tensor_types.ts";

/** Prefix PEFT puts before module names in saved adapters. */
export const PEFT_KEY_PREFIX = "base_model.model.";
/** File name of PEFT's adapter configuration. */
export const ADAPTER_CONFIG_FILE = "adapter_config.json";
/** File name of PEFT's adapter weights. */
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";

/** Parameter counts after applying LoRA (PEFT's `print_trainable_parameters`). */
export interface LoraReport {
  /** Scalars that receive gradients. */
  trainable: number;
  /** All scalars, adapters included. */
  total: number;
  /** 100·trainable/total. */
  trainablePercent: number;
  /** Scalars the adapters added (A and B). */
  added: number;
  /** Names of the adapted linears. */
  targets: string[];
}

/** Options of {@link LoraModel.apply}. */
export interface ApplyOptions {
  /** Seed of the A matrices (each layer derives its own). Default 0. */
  seed?: number;
}

/** A model with LoRA adapters on its target linears. */
export class LoraModel<M extends Module = Module> {
  /** The adapted model; its forward now goes through the LoRA layers. */
  readonly model: M;
  /** The validated configuration. */
  readonly config: LoraConfig;
  readonly #layers: Map<string, LoraLinear>;
  readonly #trainableBefore: Map<Variable, boolean>;

  private constructor(
    model: M,
    config: LoraConfig,
    layers: Map<string, LoraLinear>,
    before: Map<Variable, boolean>,
  ) {
    this.model = model;
    this.config = config;
    this.#layers = layers;
    this.#trainableBefore = before;
  }

  /**
   * Wraps every target linear of `model` in a {@link LoraLinear}, freezes all other parameters, and
   * makes biases trainable per `config.bias`. Throws `LORA_NO_TARGETS` when nothing matches and
   * `LORA_RANK_TOO_LARGE` when a rank exceeds a target's min(in, out).
   */
  static apply<M extends Module>(
    model: M,
    configInput: LoraConfigInput,
    options: ApplyOptions = {},
  ): LoraModel<M> {
    const config = parseLoraConfig(configInput);
    const targets = model.namedLinears().filter(([name]) => isTargetModule(config, name));
    if (targets.length === 0) {
      throw new LoraError(
        "LORA_NO_TARGETS",
        `no linear matches target_modules ${String(config.targetModules)}`,
      );
    }
    for (const [name, layer] of targets) {
      if (layer instanceof LoraLinear) {
        throw new LoraError("LORA_ALREADY_APPLIED", `"${name}" already has an adapter`);
      }
      if (!(layer instanceof Linear)) {
        throw new LoraError("LORA_TARGET_NOT_LINEAR", `"${name}" is not a Linear`);
      }
      const { rank } = rankAndAlphaFor(config, name);
      if (rank > Math.min(layer.inFeatures, layer.outFeatures)) {
        throw new LoraError(
          "LORA_RANK_TOO_LARGE",
          `rank ${rank} exceeds min(in=${layer.inFeatures}, out=${layer.outFeatures}) of "${name}"`,
        );
      }
    }
    const before = new Map<Variable, boolean>();
    for (const [, v] of model.namedParameters()) {
      before.set(v, v.trainable);
      v.trainable = false;
    }
    const layers = new Map<string, LoraLinear>();
    const seed = options.seed ?? 0;
    targets.forEach(([name, layer], i) => {
      const { rank, alpha } = rankAndAlphaFor(config, name);
      const lora = new LoraLinear(layer as Linear, {
        rank,
        alpha,
        dropout: config.dropout,
        useRslora: config.useRslora,
        init: config.initLoraWeights,
        seed: seed * 100_003 + i,
        trainBias: config.bias === "lora_only",
      });
      model.replaceLinear(name, lora);
      layers.set(name, lora);
    });
    if (config.bias === "all") {
      for (const [name, v] of model.namedParameters()) if (isBiasName(name)) v.trainable = true;
    }
    return new LoraModel(model, config, layers, before);
  }

  /**
   * Applies the adapter saved in `dir` (PEFT layout) to `model` and loads its weights. The model must
   * have the same target linears with the same shapes; when the files do not fit it, the model is left
   * unchanged and the error is thrown.
   */
  static async load<M extends Module>(model: M, dir: string): Promise<LoraModel<M>> {
    const json = JSON.parse(await Deno.readTextFile(`${dir}/${ADAPTER_CONFIG_FILE}`));
    const config = fromPeftConfigJson(json);
    const tensors = decodeSafetensors(await Deno.readFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`)).tensors;
    const lora = LoraModel.apply(model, config);
    try {
      lora.loadAdapterTensors(tensors);
    } catch (e) {
      lora.unload(); // leave the model as it was, with no adapter tensors alive
      throw e;
    }
    return lora;
  }

  /** The LoRA layers by full module name. */
  layers(): Array<[string, LoraLinear]> {
    return [...this.#layers];
  }

  /** Parameter counts (trainable, total, percent, added). */
  report(): LoraReport {
    const { total, trainable } = this.model.parameterCount();
    let added = 0;
    for (const l of this.#layers.values()) added += l.loraA.size + l.loraB.size;
    return {
      trainable,
      total,
      trainablePercent: total === 0 ? 0 : (100 * trainable) / total,
      added,
      targets: [...this.#layers.keys()],
    };
  }

  /** Variables an optimizer should update. */
  trainableVariables(): Variable[] {
    return this.model.trainableVariables();
  }

  /** Folds every adapter into its base weight. */
  mergeAll(): void {
    for (const l of this.#layers.values()) l.merge();
  }

  /** Undoes {@link mergeAll}. */
  unmergeAll(): void {
    for (const l of this.#layers.values()) l.unmerge();
  }

  /** Switches every adapter off (the model computes the base output). */
  disableAdapters(): void {
    for (const l of this.#layers.values()) l.disable();
  }

  /** Switches every adapter back on. */
  enableAdapters(): void {
    for (const l of this.#layers.values()) l.enable();
  }

  /** Runs `fn` with adapters disabled, re-enabling them afterwards even if it throws. */
  withAdaptersDisabled<T>(fn: () => T): T {
    this.disableAdapters();
    try {
      return fn();
    } finally {
      this.enableAdapters();
    }
  }

  /** Merges all adapters, puts the plain base linears back, restores trainability, and returns the model. */
  mergeAndUnload(): M {
    this.mergeAll();
    return this.#unload();
  }

  /** Puts the original base linears back without merging and returns the model. */
  unload(): M {
    this.unmergeAll();
    return this.#unload();
  }

  #unload(): M {
    for (const [name, l] of this.#layers) {
      this.model.replaceLinear(name, l.base);
      l.disposeAdapter();
    }
    this.#layers.clear();
    for (const [v, t] of this.#trainableBefore) if (!v.isDisposed) v.trainable = t;
    return this.model;
  }

  /**
   * The adapter's tensors under PEFT's keys (`base_model.model.<module>.lora_A.weight` [r, in],
   * `.lora_B.weight` [out, r], plus trained biases), float32, PyTorch layout.
   */
  async adapterTensors(): Promise<Map<string, SafeTensor>> {
    const out = new Map<string, SafeTensor>();
    for (const [name, v] of this.#savedParameters()) {
      out.set(PEFT_KEY_PREFIX + name, f32Tensor(v.shape, (await v.data()) as Float32Array));
    }
    return out;
  }

  /**
   * Assigns saved tensors (PEFT keys) to the adapter. Every expected key must be present with its shape,
   * and every key in the file must be one this adapter uses (a `lora_B.bias` or a `modules_to_save` copy is
   * refused with `LORA_ADAPTER_MISMATCH` rather than dropped).
   */
  loadAdapterTensors(tensors: Map<string, SafeTensor>): void {
    const expected = new Set(this.#savedParameters().map(([name]) => PEFT_KEY_PREFIX + name));
    const unused = [...tensors.keys()].filter((k) => !expected.has(k));
    if (unused.length > 0) {
      throw new LoraError(
        "LORA_ADAPTER_MISMATCH",
        `adapter file holds tensors this adapter cannot use: ${unused.slice(0, 5).join(", ")}${
          unused.length > 5 ? ` and ${unused.length - 5} more` : ""
        }`,
      );
    }
    for (const [name, v] of this.#savedParameters()) {
      const t = tensors.get(PEFT_KEY_PREFIX + name);
      if (!t) throw new LoraError("LORA_ADAPTER_MISMATCH", `adapter file lacks ${PEFT_KEY_PREFIX + name}`);
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new LoraError(
          "LORA_ADAPTER_MISMATCH",
          `${name}: saved shape [${t.shape}] does not match [${v.shape}]`,
        );
      }
      tf.tidy(() => v.assign(tf.tensor(toFloat32(t), v.shape, "float32")));
    }
  }

  /** Writes `adapter_config.json` and `adapter_model.safetensors` into `dir` (created if missing). */
  async save(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    const json = toPeftConfigJson(this.config);
    await Deno.writeTextFile(`${dir}/${ADAPTER_CONFIG_FILE}`, JSON.stringify(json, null, 2) + "\n");
    const bytes = encodeSafetensors(await this.adapterTensors(), { format: "pt" });
    await Deno.writeFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`, bytes);
  }

  /** Parameters PEFT saves: every `lora_` weight, plus biases when `bias` is `all` or `lora_only`. */
  #savedParameters(): Array<[string, Variable]> {
    const targets = [...this.#layers.keys()];
    return this.model.namedParameters().filter(([name]) => {
      if (name.includes(".lora_A.") || name.includes(".lora_B.")) return true;
      if (!isBiasName(name)) return false;
      if (this.config.bias === "all") return true;
      return this.config.bias === "lora_only" && targets.some((t) => name === `${t}.base_layer.bias`);
    });
  }
}

function isBiasName(name: string): boolean {
  return name === "bias" || name.endsWith(".bias");
}
