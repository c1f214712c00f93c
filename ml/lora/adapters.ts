/**
 * Several named LoRA adapters over one base model, with PEFT's multi-adapter semantics: `addAdapter` /
 * `loadAdapter` put an adapter's A and B next to the same frozen base weights, `setAdapter(name)` picks the
 * one the forward pass uses (and the only one that trains), `disableAdapters` gives the base, and
 * `deleteAdapter` frees one. Switching never touches or reloads the base weights: it only changes which
 * A and B each layer reads. Adapters save and load in PEFT's layout, so each one is interchangeable with a
 * single-adapter {@link LoraModel}.
 */
import { tf } from "../backend.ts";
import { denseForward, Linear, matMul2d, variableOf } from "../linear.ts";
import type { ForwardOptions, LinearLike, Module } from "../module.ts";
import { kaimingUniformBound, normalArray, Rng, uniformArray } from "../random.ts";
import { f32Tensor, type SafeTensor } from "../safetensors.ts";
import type { Tensor, Tensor2D, Variable, Variable2D } from "../tensor_types.ts";
import { type LoraConfig, type LoraConfigInput, loraScaling, parseLoraConfig } from "./config.ts";
import { LoraError } from "./errors.ts";
import { type TargetLayerOptions, targetLayerOptions, targetLinears } from "./targets.ts";
import { layerSeed } from "./layer.ts";
import { assignAdapterTensors, PEFT_KEY_PREFIX, readPeftAdapter, writePeftAdapter } from "./peft_files.ts";

/** One adapter's weights on one layer. */
interface AdapterWeights {
  /** lora_A.weight [r, in]. */
  a: Variable2D;
  /** lora_B.weight [out, r]. */
  b: Variable2D;
  scaling: number;
  dropout: number;
  stream: number;
}

/** A frozen dense layer with any number of named LoRA adapters, at most one active. */
export class MultiLoraLinear implements LinearLike {
  /** The wrapped layer; its weights are never modified. */
  readonly base: Linear;
  readonly #adapters = new Map<string, AdapterWeights>();
  #active: string | null = null;

  /** Wraps `base`, whose weights are frozen from now on; no adapter yet. */
  constructor(base: Linear) {
    this.base = base;
    base.weight.trainable = false;
    if (base.bias) base.bias.trainable = false;
  }

  /** Size of the last input axis. */
  get inFeatures(): number {
    return this.base.inFeatures;
  }

  /** Size of the last output axis. */
  get outFeatures(): number {
    return this.base.outFeatures;
  }

  /** Names of the adapters this layer holds. */
  adapterNames(): string[] {
    return [...this.#adapters.keys()];
  }

  /** The active adapter's name, or null (base output). */
  get active(): string | null {
    return this.#active;
  }

  /** Adds an adapter: A as PEFT initializes it (from `seed`), B = 0. */
  add(name: string, o: TargetLayerOptions): void {
    const limit = Math.min(this.inFeatures, this.outFeatures);
    if (!Number.isInteger(o.rank) || o.rank < 1 || o.rank > limit) {
      throw new LoraError("LORA_RANK_TOO_LARGE", `rank ${o.rank} is not in [1, ${limit}]`);
    }
    const rng = new Rng(o.seed);
    const n = o.rank * this.inFeatures;
    const bound = kaimingUniformBound(this.inFeatures);
    const a = o.init === "kaiming" ? uniformArray(n, -bound, bound, rng) : normalArray(n, 0, 1 / o.rank, rng);
    this.#adapters.set(name, {
      a: variableOf(tf.tensor2d(a, [o.rank, this.inFeatures]), false),
      b: variableOf(tf.zeros([this.outFeatures, o.rank]) as Tensor2D, false),
      scaling: loraScaling(o.rank, o.alpha, o.useRslora),
      dropout: o.dropout,
      stream: o.seed,
    });
  }

  /** Makes `name` the adapter the forward pass uses (null: none). A layer without it computes the base. */
  setActive(name: string | null): void {
    this.#active = name !== null && this.#adapters.has(name) ? name : null;
  }

  /** The adapter's A and B variables, if this layer has it. */
  weights(name: string): { a: Variable2D; b: Variable2D } | undefined {
    const w = this.#adapters.get(name);
    return w ? { a: w.a, b: w.b } : undefined;
  }

  /** ΔW of an adapter in tfjs layout [in, out]: s·Aᵀ·Bᵀ. */
  delta(name: string): Tensor2D {
    const w = this.#adapters.get(name);
    if (!w) throw new LoraError("LORA_ADAPTER_MISMATCH", `no adapter "${name}" on this layer`);
    return tf.tidy(() => tf.mul(tf.matMul(tf.transpose(w.a), tf.transpose(w.b)), w.scaling) as Tensor2D);
  }

  /** Frees one adapter's tensors. */
  remove(name: string): void {
    const w = this.#adapters.get(name);
    if (!w) return;
    w.a.dispose();
    w.b.dispose();
    this.#adapters.delete(name);
    if (this.#active === name) this.#active = null;
  }

  /** `x·W0 + b`, plus `s·dropout(x)·Aᵀ·Bᵀ` of the active adapter. */
  forward(x: Tensor, options: ForwardOptions = {}): Tensor {
    const w = this.#active === null ? undefined : this.#adapters.get(this.#active);
    if (!w) return this.base.forward(x, options);
    return tf.tidy(() => {
      const y = denseForward(x, this.base.weight, this.base.bias);
      const dropped = options.training && w.dropout > 0
        ? tf.dropout(x, w.dropout, undefined, layerSeed(options.seed, w.stream))
        : x;
      const flat = tf.reshape(dropped, [-1, this.inFeatures]) as Tensor2D;
      const low = matMul2d(matMul2d(flat, tf.transpose(w.a)), tf.transpose(w.b));
      return tf.add(y, tf.reshape(tf.mul(low, w.scaling), y.shape));
    });
  }

  /** PEFT's module-local names: `base_layer.weight`, `lora_A.<adapter>.weight`, `lora_B.<adapter>.weight`. */
  namedVariables(): Array<[string, Variable]> {
    const out: Array<[string, Variable]> = this.base.namedVariables().map(([n, v]) => [`base_layer.${n}`, v]);
    for (const [name, w] of this.#adapters) {
      out.push([`lora_A.${name}.weight`, w.a], [`lora_B.${name}.weight`, w.b]);
    }
    return out;
  }

  /** Releases every adapter and the base layer. */
  dispose(): void {
    for (const name of this.adapterNames()) this.remove(name);
    this.base.dispose();
  }
}

/** Several named adapters over one model (PEFT's `add_adapter` / `set_adapter` / `delete_adapter`). */
export class LoraAdapters<M extends Module = Module> {
  /** The model; its forward goes through the active adapter. */
  readonly model: M;
  readonly #configs = new Map<string, LoraConfig>();
  readonly #layers = new Map<string, MultiLoraLinear>();
  readonly #trainableBefore = new Map<Variable, boolean>();
  #active: string | null = null;
  #disabled = false;

  /** Freezes every parameter of `model` (adapters bring their own trainable weights). */
  constructor(model: M) {
    this.model = model;
    for (const [, v] of model.namedParameters()) {
      this.#trainableBefore.set(v, v.trainable);
      v.trainable = false;
    }
  }

  /** Names of the adapters, in the order they were added. */
  adapters(): string[] {
    return [...this.#configs.keys()];
  }

  /** The active adapter (PEFT's `active_adapter`), or null. */
  get activeAdapter(): string | null {
    return this.#active;
  }

  /** An adapter's configuration. */
  config(name: string): LoraConfig {
    const c = this.#configs.get(name);
    if (!c) throw new LoraError("LORA_ADAPTER_MISMATCH", `no adapter named "${name}"`);
    return c;
  }

  /**
   * Adds a new adapter on the config's target linears (A initialized from `seed` as {@link LoraModel.apply}
   * does, B = 0). The first adapter added becomes active, as in PEFT; later ones wait for
   * {@link setAdapter}. Only `bias: "none"` is supported here (biases are shared by all adapters).
   */
  addAdapter(name: string, input: LoraConfigInput, options: { seed?: number } = {}): void {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new LoraError("LORA_CONFIG_INVALID", `adapter name "${name}" must be letters, digits, _ or -`);
    }
    if (this.#configs.has(name)) {
      throw new LoraError("LORA_ALREADY_APPLIED", `adapter "${name}" already exists`);
    }
    const config = parseLoraConfig(input);
    if (config.bias !== "none") {
      throw new LoraError(
        "LORA_CONFIG_INVALID",
        `adapter "${name}": bias="${config.bias}" needs a single adapter`,
      );
    }
    const plan = targetLinears(this.model, config, (n, layer) => {
      if (!(layer instanceof MultiLoraLinear) && !(layer instanceof Linear)) {
        throw new LoraError("LORA_TARGET_NOT_LINEAR", `"${n}" is not a Linear`);
      }
      return layer;
    });
    const seed = options.seed ?? 0;
    plan.forEach(([n, layer], i) => {
      let multi = layer instanceof MultiLoraLinear ? layer : null;
      if (!multi) {
        multi = new MultiLoraLinear(layer as Linear);
        this.model.replaceLinear(n, multi);
        this.#layers.set(n, multi);
      }
      multi.add(name, targetLayerOptions(config, n, seed, i));
    });
    this.#configs.set(name, config);
    if (this.#active === null) this.setAdapter(name);
  }

  /** Reads a PEFT adapter folder (`adapter_config.json` + `adapter_model.safetensors`) as adapter `name`. */
  async loadAdapter(name: string, dir: string): Promise<void> {
    const { config, tensors } = await readPeftAdapter(dir);
    this.addAdapter(name, config);
    try {
      this.#assign(name, tensors);
    } catch (e) {
      this.deleteAdapter(name);
      throw e;
    }
  }

  /**
   * Makes `name` the adapter every layer uses and the only one that trains (PEFT's `set_adapter`); layers
   * the adapter does not target compute their base output. Never touches the base weights.
   */
  setAdapter(name: string): void {
    if (!this.#configs.has(name)) throw new LoraError("LORA_ADAPTER_MISMATCH", `no adapter named "${name}"`);
    this.#active = name;
    for (const layer of this.#layers.values()) {
      layer.setActive(this.#disabled ? null : name);
      for (const adapter of layer.adapterNames()) {
        const w = layer.weights(adapter)!;
        w.a.trainable = adapter === name;
        w.b.trainable = adapter === name;
      }
    }
  }

  /** Every layer computes its base output until {@link enableAdapters}. */
  disableAdapters(): void {
    this.#disabled = true;
    for (const layer of this.#layers.values()) layer.setActive(null);
  }

  /** The active adapter applies again. */
  enableAdapters(): void {
    this.#disabled = false;
    if (this.#active !== null) this.setAdapter(this.#active);
  }

  /** Runs `fn` with adapters disabled, enabling them afterwards even if it throws. */
  withAdaptersDisabled<T>(fn: () => T): T {
    this.disableAdapters();
    try {
      return fn();
    } finally {
      this.enableAdapters();
    }
  }

  /** Frees an adapter's tensors; when it was active, no adapter is active afterwards. */
  deleteAdapter(name: string): void {
    if (!this.#configs.has(name)) throw new LoraError("LORA_ADAPTER_MISMATCH", `no adapter named "${name}"`);
    for (const layer of this.#layers.values()) layer.remove(name);
    this.#configs.delete(name);
    if (this.#active === name) this.#active = null;
  }

  /** Variables an optimizer should update: the active adapter's A and B. */
  trainableVariables(): Variable[] {
    return this.model.trainableVariables();
  }

  /** The adapter's tensors under PEFT's saved keys (`base_model.model.<module>.lora_A.weight`, ...). */
  async adapterTensors(name: string): Promise<Map<string, SafeTensor>> {
    this.config(name);
    const out = new Map<string, SafeTensor>();
    for (const [module, layer] of this.#layers) {
      const w = layer.weights(name);
      if (!w) continue;
      out.set(
        `${PEFT_KEY_PREFIX}${module}.lora_A.weight`,
        f32Tensor(w.a.shape, (await w.a.data()) as Float32Array),
      );
      out.set(
        `${PEFT_KEY_PREFIX}${module}.lora_B.weight`,
        f32Tensor(w.b.shape, (await w.b.data()) as Float32Array),
      );
    }
    return out;
  }

  /** Writes one adapter in PEFT's layout (loadable by {@link LoraModel.load} and by PEFT). */
  async saveAdapter(name: string, dir: string): Promise<void> {
    await writePeftAdapter(dir, this.config(name), await this.adapterTensors(name));
  }

  /**
   * Puts the plain base linears back and frees every adapter; with `merge`, the named adapter's ΔW is
   * folded into the base weights first (PEFT's `merge_and_unload`). Returns the model.
   */
  unload(merge?: string): M {
    if (merge !== undefined) this.config(merge);
    for (const [module, layer] of this.#layers) {
      if (merge !== undefined && layer.weights(merge)) {
        tf.tidy(() => layer.base.weight.assign(tf.add(layer.base.weight, layer.delta(merge))));
      }
      this.model.replaceLinear(module, layer.base);
      for (const name of layer.adapterNames()) layer.remove(name);
    }
    this.#layers.clear();
    this.#configs.clear();
    this.#active = null;
    for (const [v, t] of this.#trainableBefore) if (!v.isDisposed) v.trainable = t;
    return this.model;
  }

  #assign(name: string, tensors: Map<string, SafeTensor>): void {
    const expected = new Map<string, Variable2D>();
    for (const [module, layer] of this.#layers) {
      const w = layer.weights(name);
      if (!w) continue;
      expected.set(`${PEFT_KEY_PREFIX}${module}.lora_A.weight`, w.a);
      expected.set(`${PEFT_KEY_PREFIX}${module}.lora_B.weight`, w.b);
    }
    assignAdapterTensors(expected, tensors);
  }
}
