/**
 * One optimizer update of a {@link Gpt}: gradient accumulation over micro-batches, global-norm clipping
 * and AdamW. The loss of every micro-batch is its weighted token sum divided by the total weight of the
 * whole accumulated batch, so k micro-batches give the same gradient as one batch k times larger.
 */
import { tf } from "./backend.ts";
import type { Gpt } from "./model.ts";
import { type AdamW, clipByGlobalNorm } from "./optim.ts";
import type { Tensor, Tensor2D, Variable } from "./tensor_types.ts";

/** A batch of B sequences of T positions, row-major: ids predict targets; weight 0 masks a position. */
export interface TokenBatch {
  batch: number;
  seq: number;
  ids: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/** What one update did. */
export interface StepResult {
  /** Mean loss over the counted (weight > 0) positions of all micro-batches, before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Positions processed (B·T summed over micro-batches). */
  tokens: number;
}

/** Total weight of a batch (the number of positions that count). */
export function batchWeight(b: TokenBatch): number {
  let s = 0;
  for (const w of b.weights) s += w;
  return s;
}

/** Mean loss of `batches` without updating anything (validation). */
export async function evaluate(model: Gpt, batches: readonly TokenBatch[]): Promise<number> {
  let sum = 0, count = 0;
  for (const b of batches) {
    const t = tf.tidy(() => model.lossSum(...batchTensors(b)));
    sum += (await t.data())[0];
    t.dispose();
    count += batchWeight(b);
  }
  return count > 0 ? sum / count : NaN;
}

/** The tensors [B, T] of a batch: ids, targets (int32), weights (float32). */
export function batchTensors(b: TokenBatch): [Tensor2D, Tensor2D, Tensor2D] {
  return [
    tf.tensor2d(b.ids, [b.batch, b.seq], "int32"),
    tf.tensor2d(b.targets, [b.batch, b.seq], "int32"),
    tf.tensor2d(b.weights, [b.batch, b.seq], "float32"),
  ];
}

/**
 * Sums the gradients of the mean loss over all `micro` batches for `variables` (no update). Returns
 * the gradients (caller disposes) and the mean loss.
 */
export async function accumulateGradients(
  model: Gpt,
  variables: readonly Variable[],
  micro: readonly TokenBatch[],
  seed = 0,
): Promise<{ grads: Tensor[]; loss: number; tokens: number }> {
  const total = Math.max(micro.reduce((s, b) => s + batchWeight(b), 0), 1e-9);
  let acc: Tensor[] | null = null;
  let lossSum = 0, tokens = 0;
  for (const [i, b] of micro.entries()) {
    const [ids, targets, weights] = batchTensors(b);
    const { value, grads } = tf.variableGrads(
      () => tf.div(model.lossSum(ids, targets, weights, { training: true, seed: seed + i }), total),
      variables as Variable[],
    );
    const list = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    if (acc === null) acc = list;
    else {
      const prev: Tensor[] = acc;
      acc = prev.map((a, j) => tf.add(a, list[j]));
      tf.dispose([...prev, ...list]);
    }
    lossSum += (await value.data())[0];
    tf.dispose([value, ids, targets, weights]);
    tokens += b.batch * b.seq;
  }
  return { grads: acc ?? [], loss: lossSum, tokens };
}

/** One update: accumulate over `micro`, clip to `clip` (0 = off), AdamW with learning rate `lr`. */
export async function trainStep(
  model: Gpt,
  optimizer: AdamW,
  micro: readonly TokenBatch[],
  lr: number,
  clip: number,
  seed = 0,
): Promise<StepResult> {
  const variables = optimizer.params.map((p) => p.variable);
  const { grads, loss, tokens } = await accumulateGradients(model, variables, micro, seed);
  const clipped = await clipByGlobalNorm(grads, clip);
  optimizer.apply(clipped.grads, lr);
  tf.dispose([...grads, ...clipped.grads]);
  return { loss, gradNorm: clipped.norm, tokens };
}
