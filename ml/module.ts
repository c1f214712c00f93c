/**
 * A minimal module tree, PyTorch-style: a {@link Module} owns named linear layers, named child modules
 * and named extra parameters (embeddings, layer-norm gains). Forward code always reaches its linears
 * through {@link Module.linear}, so a model-level operation (LoRA `apply`) can replace `blocks.0.attn.q`
 * with a wrapping layer and the model's forward goes through the wrapper from then on.
 */
import { CodedError } from "./errors.ts";
import type { Tensor, Variable } from "./tensor_types.ts";

/** Options every forward pass accepts. */
export interface ForwardOptions {
  /** Training mode: dropout is active only when true. Default false. */
  training?: boolean;
  /** Seed for dropout masks (deterministic tests); a fresh random mask each call when unset. */
  seed?: number;
}

/** Anything that maps [..., inFeatures] to [..., outFeatures] and owns named variables. */
export interface LinearLike {
  /** Size of the last input axis. */
  readonly inFeatures: number;
  /** Size of the last output axis. */
  readonly outFeatures: number;
  /** Applies the layer to `x` of shape [..., inFeatures]. */
  forward(x: Tensor, options?: ForwardOptions): Tensor;
  /** The layer's variables with local names (`weight`, `bias`, `lora_A.weight`, ...). */
  namedVariables(): Array<[string, Variable]>;
  /** Releases the layer's variables. */
  dispose(): void;
}

/** Error codes of module-tree lookups. */
export type ModuleErrorCode = "MODULE_NOT_FOUND" | "MODULE_DUPLICATE_NAME";

/** A name lookup in a module tree failed. */
export class ModuleError extends CodedError<ModuleErrorCode> {}

/** A node of the model tree. Subclasses register their parts in the constructor. */
export class Module {
  readonly #linears = new Map<string, LinearLike>();
  readonly #modules = new Map<string, Module>();
  readonly #params = new Map<string, Variable>();

  /** Registers a linear layer under a local name (no dots) and returns it. */
  protected registerLinear<T extends LinearLike>(name: string, layer: T): T {
    this.#assertFree(name);
    this.#linears.set(name, layer);
    return layer;
  }

  /** Registers a child module under a local name (`attn`, or `blocks.0` for list items). */
  protected registerModule<T extends Module>(name: string, module: T): T {
    this.#assertFree(name);
    this.#modules.set(name, module);
    return module;
  }

  /** Registers a variable that is not part of a linear layer (embedding table, layer-norm gain). */
  protected registerParameter(name: string, variable: Variable): Variable {
    this.#assertFree(name);
    this.#params.set(name, variable);
    return variable;
  }

  /** The linear layer currently registered under a local name (possibly a LoRA wrapper). */
  linear(name: string): LinearLike {
    const layer = this.#linears.get(name);
    if (!layer) throw new ModuleError("MODULE_NOT_FOUND", `no linear "${name}" in ${this.constructor.name}`);
    return layer;
  }

  /** The variable registered under a local name. */
  parameter(name: string): Variable {
    const v = this.#params.get(name);
    if (!v) throw new ModuleError("MODULE_NOT_FOUND", `no parameter "${name}" in ${this.constructor.name}`);
    return v;
  }

  /** Every linear layer in the tree with its full dotted name (`blocks.0.attn.q`), in registration order. */
  namedLinears(): Array<[string, LinearLike]> {
    const out: Array<[string, LinearLike]> = [];
    for (const [prefix, m] of this.#walk("")) {
      for (const [name, layer] of m.#linears) out.push([prefix + name, layer]);
    }
    return out;
  }

  /** The linear layer at a full dotted name. */
  getLinear(path: string): LinearLike {
    for (const [prefix, m] of this.#walk("")) {
      if (!path.startsWith(prefix)) continue;
      const layer = m.#linears.get(path.slice(prefix.length));
      if (layer) return layer;
    }
    throw new ModuleError("MODULE_NOT_FOUND", `no linear at "${path}"`);
  }

  /** Puts `layer` at a full dotted name in place of the current one and returns the one replaced. */
  replaceLinear(path: string, layer: LinearLike): LinearLike {
    for (const [prefix, m] of this.#walk("")) {
      if (!path.startsWith(prefix)) continue;
      const local = path.slice(prefix.length);
      const old = m.#linears.get(local);
      if (old) {
        m.#linears.set(local, layer);
        return old;
      }
    }
    throw new ModuleError("MODULE_NOT_FOUND", `no linear at "${path}"`);
  }

  /** Every variable in the tree with its full dotted name (`blocks.0.attn.q.weight`). */
  namedParameters(): Array<[string, Variable]> {
    const out: Array<[string, Variable]> = [];
    for (const [prefix, m] of this.#walk("")) {
      for (const [name, v] of m.#params) out.push([prefix + name, v]);
      for (const [name, layer] of m.#linears) {
        for (const [local, v] of layer.namedVariables()) out.push([`${prefix}${name}.${local}`, v]);
      }
    }
    return out;
  }

  /** The variables an optimizer should update (those with `trainable` set). */
  trainableVariables(): Variable[] {
    return this.namedParameters().filter(([, v]) => v.trainable).map(([, v]) => v);
  }

  /** Counts scalars: all of them and the trainable ones. */
  parameterCount(): { total: number; trainable: number } {
    let total = 0;
    let trainable = 0;
    for (const [, v] of this.namedParameters()) {
      total += v.size;
      if (v.trainable) trainable += v.size;
    }
    return { total, trainable };
  }

  /** Releases every variable in the tree. */
  dispose(): void {
    for (const [, m] of this.#walk("")) {
      for (const v of m.#params.values()) v.dispose();
      for (const layer of m.#linears.values()) layer.dispose();
    }
  }

  *#walk(prefix: string): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.#modules) yield* child.#walk(`${prefix}${name}.`);
  }

  #assertFree(name: string): void {
    if (this.#linears.has(name) || this.#modules.has(name) || this.#params.has(name)) {
      throw new ModuleError(
        "MODULE_DUPLICATE_NAME",
        `"${name}" is already registered in ${this.constructor.name}`,
      );
    }
  }
}
