/**
 * Evaluation of a trained run on a validation file: the loss of every predicted token, their mean (nats
 * per token), the perplexity exp(mean), and the distribution of per-token losses, written into the run
 * folder as `eval.json` (one entry per data file, replaced when evaluated again) for `/training`.
 *
 * - Text (pretraining data): the whole file as one token stream cut into non-overlapping windows of
 *   `seqLen + 1` tokens sharing one token, so every token after the first is predicted exactly once.
 * - Instruction or chat records: each example as it is trained (Alpaca prompt masked; ChatML with only
 *   assistant turns counted), so the numbers are the training objective's on held-out data.
 */
import { tf } from "./backend.ts";
import { CHECKPOINT_FILES, exists, loadCheckpoint } from "./checkpoint.ts";
import { encodeChatExample, type EncodedExample, encodeExample, instructionBatch } from "./dataset.ts";
import { ADAPTER_CONFIG_FILE, LoraModel } from "./lora.ts";
import type { Gpt } from "./model.ts";
import type { TokenBatch } from "./step.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { readTrainingExamples, TrainError } from "./train.ts";

/** The file an evaluation is stored in, inside the run folder. */
export const EVAL_FILE = "eval.json";

/** Summary of per-token losses (nats). */
export interface LossDistribution {
  /** Mean over tokens. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** Largest. */
  max: number;
}

/** One evaluation of a run on one data file. */
export interface EvalResult {
  /** The data file, as given. */
  data: string;
  /** `text` (token stream) or `records` (instruction/chat examples, masked as in training). */
  kind: "text" | "records";
  /** Which weights were evaluated: `model`, `merged` or `adapter` (base + adapter). */
  weights: "model" | "merged" | "adapter";
  /** Tokens whose loss was counted. */
  tokens: number;
  /** Examples (records) or windows (text). */
  sequences: number;
  /** Mean negative log-likelihood per counted token, in nats. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Distribution of the per-token losses. */
  perToken: LossDistribution;
  /** Text only: bits per UTF-8 byte of the evaluated text (tokenizer-independent). */
  bitsPerByte?: number;
  /** Window length used. */
  seqLen: number;
  /** When it ran (ISO 8601). */
  at: string;
  /** Wall time. */
  elapsedMs: number;
}

/** Options of {@link evaluateRun}. */
export interface EvalOptions {
  /** The run folder (written by `deno task train`). */
  run: string;
  /** The validation file: text, or Alpaca/ShareGPT/OpenAI-messages records. */
  data: string;
  /** Window length; default (and at most) the model's blockSize. */
  seqLen?: number;
  /** Sequences per forward pass. Default 8. */
  batchSize?: number;
  /** Keep `eval.json` as it is (only return the result). Default false. */
  dryRun?: boolean;
}

/**
 * The loss −log p(target) of every counted position of a batch, in order (positions with weight 0 are
 * left out).
 */
export async function tokenLosses(model: Gpt, batch: TokenBatch): Promise<Float32Array> {
  const nll = tf.tidy(() => {
    const ids = tf.tensor2d(batch.ids, [batch.batch, batch.seq], "int32");
    const logits = model.forward(ids);
    const v = model.config.vocabSize;
    const logp = tf.logSoftmax(tf.reshape(logits, [batch.batch * batch.seq, v]));
    const hot = tf.oneHot(tf.tensor1d(batch.targets, "int32"), v);
    return tf.neg(tf.sum(tf.mul(logp, tf.cast(hot, "float32")), -1));
  });
  const all = (await nll.data()) as Float32Array;
  nll.dispose();
  const out: number[] = [];
  for (let i = 0; i < all.length; i++) if (batch.weights[i] > 0) out.push(all[i]);
  return Float32Array.from(out);
}

/** Windows of `seq + 1` tokens overlapping by one token; the last one is padded (weight 0). */
export function textBatches(tokens: Int32Array, seq: number, batchSize: number, padId: number): TokenBatch[] {
  const starts: number[] = [];
  for (let s = 0; s + 1 < tokens.length; s += seq) starts.push(s);
  const out: TokenBatch[] = [];
  for (let b = 0; b < starts.length; b += batchSize) {
    const rows = starts.slice(b, b + batchSize);
    const ids = new Int32Array(rows.length * seq).fill(padId);
    const targets = new Int32Array(rows.length * seq).fill(padId);
    const weights = new Float32Array(rows.length * seq);
    rows.forEach((s, r) => {
      for (let t = 0; t < seq && s + t + 1 < tokens.length; t++) {
        ids[r * seq + t] = tokens[s + t];
        targets[r * seq + t] = tokens[s + t + 1];
        weights[r * seq + t] = 1;
      }
    });
    out.push({ batch: rows.length, seq, ids, targets, weights });
  }
  return out;
}

/** Mean and nearest-rank percentiles of `values` (not empty). */
export function lossDistribution(values: Float32Array): LossDistribution {
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / sorted.length, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: sorted.at(-1)! };
}

async function loadRunModel(
  run: string,
): Promise<{ model: Gpt; tokenizer: Tokenizer; weights: EvalResult["weights"] }> {
  if (await exists(`${run}/model/${CHECKPOINT_FILES.config}`)) {
    const { model, tokenizer } = await loadCheckpoint(`${run}/model`);
    return { model, tokenizer, weights: "model" };
  }
  // An adapter over its base is exact; merged/ may have been stored in F16/BF16.
  if (await exists(`${run}/adapter/${ADAPTER_CONFIG_FILE}`)) {
    let base: unknown;
    try {
      base = JSON.parse(await Deno.readTextFile(`${run}/config.json`)).base;
    } catch (e) {
      throw new TrainError("TRAIN_DATA", `${run}/config.json: ${(e as Error).message}`);
    }
    if (typeof base !== "string") {
      throw new TrainError("TRAIN_DATA", `${run}/config.json names no base checkpoint for its adapter`);
    }
    const { model, tokenizer } = await loadCheckpoint(base, { adapter: false });
    (await LoraModel.load(model, `${run}/adapter`)).mergeAndUnload();
    return { model, tokenizer, weights: "adapter" };
  }
  if (await exists(`${run}/merged/${CHECKPOINT_FILES.config}`)) {
    const { model, tokenizer } = await loadCheckpoint(`${run}/merged`);
    return { model, tokenizer, weights: "merged" };
  }
  throw new TrainError("TRAIN_DATA", `${run} holds no model/, merged/ or adapter/ to evaluate`);
}

async function isText(path: string): Promise<boolean> {
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(4096);
    const n = (await file.read(head)) ?? 0;
    const start = new TextDecoder().decode(head.subarray(0, n)).replace(/^\uFEFF/, "").trimStart();
    return !(start.startsWith("[") || start.startsWith("{"));
  } finally {
    file.close();
  }
}

/**
 * Evaluates the run's trained weights on `data` and (unless `dryRun`) records the result in the run's
 * `eval.json`, replacing an earlier evaluation of the same file.
 */
export async function evaluateRun(options: EvalOptions): Promise<EvalResult> {
  const started = performance.now();
  const { model, tokenizer, weights } = await loadRunModel(options.run);
  try {
    const block = model.config.blockSize;
    const seq = Math.min(options.seqLen ?? block, block);
    const batchSize = options.batchSize ?? 8;
    let batches: TokenBatch[];
    let kind: EvalResult["kind"];
    let bytes = 0;
    if (await isText(options.data)) {
      kind = "text";
      const text = (await Deno.readTextFile(options.data)).replace(/^\uFEFF/, "");
      bytes = new TextEncoder().encode(text).length;
      batches = textBatches(Int32Array.from(tokenizer.encode(text)), seq, batchSize, tokenizer.eosId);
    } else {
      kind = "records";
      const examples: EncodedExample[] = (await readTrainingExamples(options.data)).map((r) =>
        r.kind === "instruction" ? encodeExample(tokenizer, r.text) : encodeChatExample(tokenizer, r.messages)
      ).filter((e) => e.promptLength < seq);
      batches = [];
      for (let i = 0; i < examples.length; i += batchSize) {
        batches.push(instructionBatch(examples.slice(i, i + batchSize), seq, tokenizer.eosId));
      }
    }
    const parts: Float32Array[] = [];
    for (const b of batches) parts.push(await tokenLosses(model, b));
    const losses = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      losses.set(p, at);
      at += p.length;
    }
    if (losses.length === 0) {
      throw new TrainError("TRAIN_DATA", `${options.data}: no token to evaluate within ${seq}-token windows`);
    }
    const perToken = lossDistribution(losses);
    const result: EvalResult = {
      data: options.data,
      kind,
      weights,
      tokens: losses.length,
      sequences: batches.reduce((n, b) => n + b.batch, 0),
      loss: perToken.mean,
      perplexity: Math.exp(perToken.mean),
      perToken,
      ...(kind === "text" ? { bitsPerByte: (perToken.mean * losses.length) / Math.LN2 / bytes } : {}),
      seqLen: seq,
      at: new Date().toISOString(),
      elapsedMs: Math.round(performance.now() - started),
    };
    if (!options.dryRun) await recordEval(options.run, result);
    return result;
  } finally {
    model.dispose();
  }
}

/** The evaluations recorded in a run folder (none when it has no `eval.json`). */
export async function readEvals(run: string): Promise<EvalResult[]> {
  try {
    const json = JSON.parse(await Deno.readTextFile(`${run}/${EVAL_FILE}`));
    return Array.isArray(json?.evaluations) ? json.evaluations : [];
  } catch {
    return [];
  }
}

async function recordEval(run: string, result: EvalResult): Promise<void> {
  const evaluations = (await readEvals(run)).filter((e) => e.data !== result.data);
  evaluations.push(result);
  const tmp = `${run}/${EVAL_FILE}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify({ evaluations }, null, 2) + "\n");
  await Deno.rename(tmp, `${run}/${EVAL_FILE}`);
}
