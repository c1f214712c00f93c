/**
 * Autoregressive sampling from a {@link Gpt}: temperature, top-k, top-p (nucleus), a seed, tokens
 * streamed one at a time, and a KV cache so each new token costs one position instead of the whole
 * context. Without the cache every step re-runs the (cropped) context; both paths give the same tokens.
 *
 * Context longer than `blockSize` is cropped to its last `blockSize` tokens, as nanoGPT does. With the
 * cache, a full cache is rebuilt from that cropped window, so the cached path stays identical.
 */
import { tf } from "./backend.ts";
import { disposeKvCache, type Gpt } from "./model.ts";
import { Rng } from "./random.ts";
import type { Tensor3D } from "./tensor_types.ts";

/** Sampling options. */
export interface SampleOptions {
  /** Softmax temperature; 0 picks the most likely token (greedy). Default 0.8. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or unset = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 or unset = all). */
  topP?: number;
  /** Seed of the sampler. Default 0. */
  seed?: number;
}

/** Options of {@link generateTokens}. */
export interface GenerateOptions extends SampleOptions {
  /** Most tokens to produce. Default 64. */
  maxNewTokens?: number;
  /** Use the KV cache. Default true. */
  kvCache?: boolean;
  /** Token that ends generation (it is yielded, then generation stops). */
  eosId?: number;
  /** Stops generation between tokens when aborted. */
  signal?: AbortSignal;
}

/** Picks the next token from `logits` (one row, length vocab) with the given options. */
export function sampleToken(logits: Float32Array, options: SampleOptions, rng: Rng): number {
  const temperature = options.temperature ?? 0.8;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const k = options.topK ?? 0;
  if (k > 0 && k < order.length) order = order.slice(0, k);
  const max = logits[order[0]];
  const p = order.map((i) => Math.exp((logits[i] - max) / temperature));
  let sum = p.reduce((s, x) => s + x, 0);
  const topP = options.topP ?? 1;
  let n = p.length;
  if (topP < 1) {
    let cum = 0;
    for (n = 0; n < p.length;) {
      cum += p[n++] / sum;
      if (cum >= topP) break;
    }
    sum = p.slice(0, n).reduce((s, x) => s + x, 0);
  }
  let r = rng.next() * sum;
  for (let i = 0; i < n; i++) {
    r -= p[i];
    if (r < 0) return order[i];
  }
  return order[n - 1];
}

async function lastRow(logits: Tensor3D): Promise<Float32Array> {
  const [, t, v] = logits.shape;
  const row = tf.tidy(() => tf.reshape(tf.slice(logits, [0, t - 1, 0], [1, 1, v]), [v]));
  const data = (await row.data()) as Float32Array;
  tf.dispose([row, logits]);
  return data;
}

/**
 * Yields up to `maxNewTokens` sampled token ids following `prompt` (non-empty), one at a time. An
 * `eosId` token is yielded and ends the stream.
 */
export async function* generateTokens(
  model: Gpt,
  prompt: readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<number> {
  if (prompt.length === 0) throw new RangeError("generation needs at least one prompt token");
  const { blockSize } = model.config;
  const rng = new Rng(options.seed ?? 0);
  const max = options.maxNewTokens ?? 64;
  const useCache = options.kvCache ?? true;
  const context = [...prompt];
  const cache = model.newCache();
  try {
    for (let produced = 0; produced < max; produced++) {
      if (options.signal?.aborted) return;
      const window = context.slice(-blockSize);
      let logits: Tensor3D;
      if (!useCache) {
        logits = tf.tidy(() => model.forward(tf.tensor2d(window, [1, window.length], "int32")));
      } else {
        // A cache that cannot take one more position is rebuilt from the cropped window.
        const fits = cache.length > 0 && cache.length + 1 <= blockSize && context.length === cache.length + 1;
        if (!fits) disposeKvCache(cache);
        const fresh = fits ? context.slice(-1) : window;
        const ids = tf.tensor2d(fresh, [1, fresh.length], "int32");
        logits = model.forwardCached(ids, cache);
        ids.dispose();
      }
      const next = sampleToken(await lastRow(logits), options, rng);
      context.push(next);
      yield next;
      if (next === options.eosId) return;
    }
  } finally {
    disposeKvCache(cache);
  }
}
