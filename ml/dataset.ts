/**
 * Training batches, drawn deterministically: the batch of update `step`, micro-batch `micro` depends
 * only on (seed, step, micro), so a resumed run sees exactly the batches the uninterrupted run would.
 * - {@link TextDataset}: random windows of a token stream (pretraining); targets are the inputs shifted
 *   by one.
 * - {@link InstructionDataset}: prompt + response + EOS examples (instruction tuning); prompt positions
 *   and padding carry weight 0, so only the response and its EOS are learned.
 */
import type { ChatMessage } from "./data/chat.ts";
import { chatSegments } from "./data/chat_template.ts";
import { Rng } from "./random.ts";
import type { TokenBatch } from "./step.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Anything that yields training and validation batches. */
export interface BatchSource {
  /** Micro-batch `micro` of update `step`. */
  batch(step: number, micro: number): TokenBatch;
  /** A fixed list of validation batches (the same every call). */
  validation(count: number): TokenBatch[];
}

function streamSeed(seed: number, step: number, micro: number): number {
  return ((seed * 1_000_003) ^ (step * 7919 + micro * 104_729)) >>> 0;
}

/** Random windows of `seq + 1` tokens from a training stream; validation windows from its own stream. */
export class TextDataset implements BatchSource {
  constructor(
    readonly train: Int32Array,
    readonly val: Int32Array,
    readonly batchSize: number,
    readonly seq: number,
    readonly seed: number,
  ) {
    for (const [name, s] of [["training", train], ["validation", val]] as const) {
      if (s.length < seq + 1) {
        throw new RangeError(`the ${name} text has ${s.length} tokens, fewer than one window of ${seq + 1}`);
      }
    }
  }

  #fill(source: Int32Array, starts: number[]): TokenBatch {
    const { seq } = this;
    const ids = new Int32Array(starts.length * seq), targets = new Int32Array(starts.length * seq);
    starts.forEach((s, r) => {
      ids.set(source.subarray(s, s + seq), r * seq);
      targets.set(source.subarray(s + 1, s + seq + 1), r * seq);
    });
    return { batch: starts.length, seq, ids, targets, weights: new Float32Array(ids.length).fill(1) };
  }

  /** Micro-batch `micro` of update `step`: `batchSize` uniformly random windows. */
  batch(step: number, micro: number): TokenBatch {
    const rng = new Rng(streamSeed(this.seed, step, micro));
    const span = this.train.length - this.seq - 1;
    return this.#fill(
      this.train,
      Array.from({ length: this.batchSize }, () => Math.floor(rng.next() * (span + 1))),
    );
  }

  /** `count` batches of evenly spaced windows over the validation stream. */
  validation(count: number): TokenBatch[] {
    const n = count * this.batchSize;
    const span = this.val.length - this.seq - 1;
    const starts = Array.from({ length: n }, (_, i) => Math.floor((i * span) / Math.max(1, n - 1)));
    return Array.from(
      { length: count },
      (_, b) => this.#fill(this.val, starts.slice(b * this.batchSize, (b + 1) * this.batchSize)),
    );
  }
}

/** One instruction example as text: the (masked) prompt and the (learned) response. */
export interface PromptResponseText {
  prompt: string;
  response: string;
}

/** An encoded example: tokens and how many leading tokens are prompt. */
export interface EncodedExample {
  /** Token ids, ending with EOS. */
  tokens: Int32Array;
  /** Tokens before the first learned one. */
  promptLength: number;
  /**
   * Per token: 1 when predicting it is learned, 0 when masked. Absent for prompt/response examples (every
   * token from `promptLength` on is learned); chat examples learn several separate spans.
   */
  learn?: Uint8Array;
}

/**
 * Tokens of `prompt + response + EOS`, the prompt encoded on its own so its length in tokens is the
 * masking boundary (as Stanford Alpaca's `preprocess` does).
 */
export function encodeExample(tokenizer: Tokenizer, ex: PromptResponseText): EncodedExample {
  const p = tokenizer.encode(ex.prompt);
  const r = tokenizer.encode(ex.response);
  return { tokens: Int32Array.from([...p, ...r, tokenizer.eosId]), promptLength: p.length };
}

/**
 * Tokens of a conversation in the ChatML template ({@link chatSegments}), each segment encoded on its own so
 * the mask boundaries are exact, then EOS. Only assistant content, its `<|im_end|>` and the final EOS are
 * learned.
 */
export function encodeChatExample(tokenizer: Tokenizer, messages: readonly ChatMessage[]): EncodedExample {
  const tokens: number[] = [];
  const learn: number[] = [];
  for (const seg of chatSegments(messages)) {
    for (const id of tokenizer.encode(seg.text)) {
      tokens.push(id);
      learn.push(seg.learn ? 1 : 0);
    }
  }
  tokens.push(tokenizer.eosId);
  learn.push(1);
  const first = learn.indexOf(1);
  return { tokens: Int32Array.from(tokens), promptLength: first, learn: Uint8Array.from(learn) };
}

/**
 * Builds a batch from encoded examples, right-padded (with EOS, weight 0) or cut to `seq + 1` tokens.
 * Position t predicts token t+1 and counts only when t+1 is learned: a response token (or the final EOS),
 * or for chat examples a token its `learn` mask marks.
 */
export function instructionBatch(
  examples: readonly EncodedExample[],
  seq: number,
  padId: number,
): TokenBatch {
  const b = examples.length;
  const ids = new Int32Array(b * seq).fill(padId), targets = new Int32Array(b * seq).fill(padId);
  const weights = new Float32Array(b * seq);
  examples.forEach((ex, r) => {
    const n = Math.min(ex.tokens.length, seq + 1);
    for (let t = 0; t + 1 < n; t++) {
      ids[r * seq + t] = ex.tokens[t];
      targets[r * seq + t] = ex.tokens[t + 1];
      weights[r * seq + t] = ex.learn ? ex.learn[t + 1] : t + 1 >= ex.promptLength ? 1 : 0;
    }
  });
  return { batch: b, seq, ids, targets, weights };
}

/** Instruction examples sampled with replacement for training and taken in order for validation. */
export class InstructionDataset implements BatchSource {
  constructor(
    readonly train: readonly EncodedExample[],
    readonly val: readonly EncodedExample[],
    readonly batchSize: number,
    readonly seq: number,
    readonly padId: number,
    readonly seed: number,
  ) {
    if (train.length === 0) throw new RangeError("no training examples");
    if (val.length === 0) throw new RangeError("no validation examples");
  }

  /** Micro-batch `micro` of update `step`: `batchSize` random examples. */
  batch(step: number, micro: number): TokenBatch {
    const rng = new Rng(streamSeed(this.seed, step, micro));
    const picks = Array.from(
      { length: this.batchSize },
      () => this.train[Math.floor(rng.next() * this.train.length)],
    );
    return instructionBatch(picks, this.seq, this.padId);
  }

  /** Up to `count` batches of validation examples, in order. */
  validation(count: number): TokenBatch[] {
    const out: TokenBatch[] = [];
    for (let i = 0; i < count && i * this.batchSize < this.val.length; i++) {
      out.push(
        instructionBatch(this.val.slice(i * this.batchSize, (i + 1) * this.batchSize), this.seq, this.padId),
      );
    }
    return out;
  }
}
