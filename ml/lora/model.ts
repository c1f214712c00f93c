/**
 * Model-level LoRA operations (PEFT's `LoraModel`): apply adapters to the target linears of a
 * {@link Module} tree, freeze everything else, report parameter counts, merge/unmerge, disable,
 * unload, and save/load adapters as PEFT does (`adapter_config.json` + `adapter_model.safetensors`).
 */
import { Linear } from "../linear.ts";
import type { Module } from "../module.ts";
import { f32Tensor, type SafeTensor } from "../safetensors.ts";
import { type LoraConfig, type LoraConfigInput, parseLoraConfig } from "./config.ts";
import { LoraError } from "./errors.ts";
import { targetLayerOptions, targetLinears } from "./targets.ts";
import { LoraLinear } from "./layer.ts";
import type { Variable } from "../tensor_types.ts";
import { assignAdapterTensors, PEFT_KEY_PREFIX, readPeftAdapter, writePeftAdapter } from "./peft_files.ts";

export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, PEFT_KEY_PREFIX } from "./peft_files.ts";

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
    const targets = targetLinears(model, config, (name, layer) => {
      if (layer instanceof LoraLinear) {
        throw new LoraError("LORA_ALREADY_APPLIED", `"${name}" already has an adapter`);
      }
      if (!(layer instanceof Linear)) {
        throw new LoraError("LORA_TARGET_NOT_LINEAR", `"${name}" is not a Linear`);
      }
      return layer;
    });
    const before = new Map<Variable, boolean>();
    for (const [, v] of model.namedParameters()) {
      before.set(v, v.trainable);
      v.trainable = false;
    }
    const layers = new Map<string, LoraLinear>();
    const seed = options.seed ?? 0;
    targets.forEach(([name, layer], i) => {
      const lora = new LoraLinear(layer, {
        ...targetLayerOptions(config, name, seed, i),
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
    const { config, tensors } = await readPeftAdapter(dir);
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
    assignAdapterTensors(
      new Map(this.#savedParameters().map(([name, v]) => [PEFT_KEY_PREFIX + name, v])),
      tensors,
    );
  }

  /** Writes `adapter_config.json` and `adapter_model.safetensors` into `dir` (created if missing). */
  async save(dir: string): Promise<void> {
    await writePeftAdapter(dir, this.config, await this.adapterTensors());
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
