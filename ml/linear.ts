/**
 * A dense layer `y = x·W + b` with W stored in tfjs layout [in, out] (PyTorch's `nn.Linear` stores the
 * transpose, [out, in]). Input may have any leading axes: [..., in] -> [..., out].
 */
import { tf } from "./backend.ts";
import { nativeStatus } from "./native/kernels.ts";
import type { ForwardOptions, LinearLike } from "./module.ts";
import { kaimingUniformBound, normalArray, Rng, uniformArray } from "./random.ts";
import type { Rank, Tensor, Tensor1D, Tensor2D, Variable, Variable1D, Variable2D } from "./tensor_types.ts";
import type * as tfc from "@tensorflow/tfjs-core";

/** How {@link Linear} initializes its weight. */
export type LinearInit =
  /** PyTorch `nn.Linear`: W and b uniform in ±1/sqrt(in). */
  | { kind: "torch" }
  /** GPT-2 / nanoGPT style: W ~ N(0, std²), b = 0. */
  | { kind: "normal"; std: number };

/** Options of a new {@link Linear}. */
export interface LinearOptions {
  /** Whether the layer has a bias. Default true. */
  bias?: boolean;
  /** Initial weights. Default `{ kind: "torch" }`. */
  init?: LinearInit;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
  /** Whether the variables are trainable. Default true. */
  trainable?: boolean;
}

type SaveFn = (tensors: Tensor[]) => void;

/** True when the native OpenBLAS BatchMatMul (`ml/native/`) serves the active wasm backend. */
function nativeMatMul(): boolean {
  return tf.getBackend() === "wasm" && nativeStatus().kernels.includes("BatchMatMul");
}

function transposeFreeMatMul(gradOfB: boolean) {
  return tf.customGrad((...args: Array<Tensor | SaveFn>) => {
    const [a, b, save] = args as [Tensor2D, Tensor2D, SaveFn];
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sa, sb] = saved as Tensor2D[];
        if (nativeMatMul()) {
          // OpenBLAS takes transposed operands at full speed: no explicit Transpose kernels.
          const da = tf.matMul(dy as Tensor2D, sb, false, true);
          return [da, gradOfB ? tf.matMul(sa, dy as Tensor2D, true, false) : tf.zerosLike(sb)];
        }
        const da = tf.matMul(dy as Tensor2D, tf.transpose(sb));
        return [da, gradOfB ? tf.matMul(tf.transpose(sa), dy as Tensor2D) : tf.zerosLike(sb)];
      },
    };
  }) as (a: Tensor2D, b: Tensor2D) => Tensor2D;
}

const matMulWithGrads = transposeFreeMatMul(true);
const matMulFrozenB = transposeFreeMatMul(false);

/**
 * `a·b` for 2-D tensors whose gradient uses explicit transposes, never matMul's transpose flags: on
 * tfjs-wasm 4.22 a transposed operand takes a slow path, 9-13x slower than transpose + plain matMul
 * (measured 512×768·768×768: 75 ms plain, 664 ms transposeB, 986 ms transposeA), and tfjs's own matMul
 * gradient uses those flags. With the native OpenBLAS kernels installed the flags are fast, and the
 * gradient uses them instead of explicit transposes. When `b` is a variable with `trainable` false (a frozen weight), its
 * gradient is not computed and reads as zeros, as PyTorch skips `requires_grad=False` tensors.
 */
export function matMul2d(a: Tensor2D, b: Tensor2D): Tensor2D {
  const frozen = (b as Partial<Variable>).trainable === false;
  return frozen ? matMulFrozenB(a, b) : matMulWithGrads(a, b);
}

/** Applies `x·W (+ b)` to an input with any leading axes; W is [in, out]. */
export function denseForward(x: Tensor, weight: Tensor2D, bias: Tensor | null): Tensor {
  return tf.tidy(() => {
    const [inF, outF] = weight.shape;
    const lead = x.shape.slice(0, -1);
    const flat = x.rank === 2 ? (x as Tensor2D) : tf.reshape(x, [-1, inF]) as Tensor2D;
    let y: Tensor = matMul2d(flat, weight);
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outF]);
  });
}

/** A dense layer with weight [in, out] and optional bias [out]. */
export class Linear implements LinearLike {
  /** Size of the last input axis. */
  readonly inFeatures: number;
  /** Size of the last output axis. */
  readonly outFeatures: number;
  /** Weight, [in, out]. */
  readonly weight: Variable2D;
  /** Bias, [out], or null. */
  readonly bias: Variable1D | null;

  /** A layer with PyTorch's default initialization (or `options.init`), drawn from `options.seed`. */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    const init = options.init ?? { kind: "torch" };
    const rng = new Rng(options.seed ?? 0);
    const trainable = options.trainable ?? true;
    const n = inFeatures * outFeatures;
    const bound = kaimingUniformBound(inFeatures);
    const w = init.kind === "torch" ? uniformArray(n, -bound, bound, rng) : normalArray(n, 0, init.std, rng);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = variableOf(tf.tensor2d(w, [inFeatures, outFeatures]), trainable);
    if (options.bias ?? true) {
      const b = init.kind === "torch"
        ? uniformArray(outFeatures, -bound, bound, rng)
        : new Float32Array(outFeatures);
      this.bias = variableOf(tf.tensor1d(b), trainable);
    } else {
      this.bias = null;
    }
  }

  /** A layer holding copies of the given weight [in, out] and bias [out]. */
  static fromTensors(weight: Tensor2D, bias: Tensor1D | null, trainable = true): Linear {
    const layer = new Linear(weight.shape[0], weight.shape[1], { bias: bias !== null, trainable });
    layer.weight.assign(weight);
    if (bias && layer.bias) layer.bias.assign(bias);
    return layer;
  }

  /** `x·W + b` for x of shape [..., in]. */
  forward(x: Tensor, _options?: ForwardOptions): Tensor {
    return denseForward(x, this.weight, this.bias);
  }

  /** `weight` and, if present, `bias`. */
  namedVariables(): Array<[string, Variable]> {
    const out: Array<[string, Variable]> = [["weight", this.weight]];
    if (this.bias) out.push(["bias", this.bias]);
    return out;
  }

  /** Releases the variables. */
  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}

/** A variable holding `initial`, which is then released (a variable keeps its own reference). */
export function variableOf<R extends Rank>(initial: tfc.Tensor<R>, trainable: boolean): tfc.Variable<R> {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}
