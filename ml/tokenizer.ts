/**
 * A byte-level BPE tokenizer (GPT-2 style) trained by the project on its own corpus. Ids 0..255 are the
 * raw UTF-8 bytes, each merge adds one id, and the end-of-sequence token comes last. Text is first cut
 * into chunks (words with their leading space, numbers, punctuation runs, whitespace) and merges never
 * cross a chunk boundary. Because every token is a byte string, `decode(encode(text)) === text` for any
 * valid UTF-8 text; with no merges this is a plain byte tokenizer.
 */
import { CodedError } from "./errors.ts";

/** The end-of-sequence marker's text (it is never produced by {@link Tokenizer.encode}). */
export const EOS_TEXT = "<|endoftext|>";

const CHUNK = /'(?:s|t|re|ve|m|ll|d)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const FORMAT = "mini-claude-bpe/1";

/** Why a tokenizer could not be built or read. */
export type TokenizerErrorCode = "TOKENIZER_INVALID" | "TOKENIZER_VOCAB_SIZE";

/** Invalid tokenizer file or training request. */
export class TokenizerError extends CodedError<TokenizerErrorCode> {}

/** The JSON form saved next to a checkpoint (`tokenizer.json`). */
export interface TokenizerJson {
  /** Always `mini-claude-bpe/1`. */
  format: "mini-claude-bpe/1";
  /** Merges in rank order: `[left, right]` ids; merge i creates id 256 + i. */
  merges: Array<[number, number]>;
  /** Special tokens by text, with their ids. */
  special: Record<string, number>;
}

/** Options of {@link Tokenizer.train}. */
export interface TrainTokenizerOptions {
  /** Total vocabulary: 256 bytes + merges + 1 EOS. At least 257. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minPairCount?: number;
}

/** Splits text into the chunks merges stay inside; the chunks concatenate back to `text`. */
export function chunkText(text: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(CHUNK)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const pairKey = (a: number, b: number) => a * 65536 + b;

/** A byte-level BPE tokenizer with one special token, EOS. */
export class Tokenizer {
  /** Merge list in rank order. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** Id of the end-of-sequence token (the last id). */
  readonly eosId: number;
  /** Number of ids. */
  readonly vocabSize: number;
  readonly #rank = new Map<number, number>();
  readonly #bytes: Uint8Array[] = [];
  readonly #cache = new Map<string, number[]>();
  readonly #encoder = new TextEncoder();

  /** A tokenizer with these merges (checked: each refers only to earlier ids). */
  constructor(merges: ReadonlyArray<readonly [number, number]>) {
    this.merges = merges;
    for (let i = 0; i < 256; i++) this.#bytes.push(Uint8Array.of(i));
    merges.forEach(([a, b], i) => {
      const id = 256 + i;
      if (!(a < id && b < id && a >= 0 && b >= 0 && Number.isInteger(a) && Number.isInteger(b))) {
        throw new TokenizerError("TOKENIZER_INVALID", `merge ${i} [${a}, ${b}] refers to an unknown id`);
      }
      this.#rank.set(pairKey(a, b), i);
      const left = this.#bytes[a], right = this.#bytes[b];
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      this.#bytes.push(joined);
    });
    this.eosId = 256 + merges.length;
    this.vocabSize = this.eosId + 1;
  }

  /** A byte-level tokenizer (no merges): vocabulary 257. */
  static bytes(): Tokenizer {
    return new Tokenizer([]);
  }

  /**
   * Learns merges on `text`: repeatedly joins the most frequent adjacent pair inside chunks (ties go
   * to the smallest pair ids, so training is deterministic) until the vocabulary is full or no pair
   * occurs `minPairCount` times.
   */
  static train(text: string, options: TrainTokenizerOptions): Tokenizer {
    const { vocabSize } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < 257 || vocabSize > 65536) {
      throw new TokenizerError(
        "TOKENIZER_VOCAB_SIZE",
        `vocabSize must be an integer in [257, 65536], got ${vocabSize}`,
      );
    }
    const minCount = options.minPairCount ?? 2;
    const freq = new Map<string, number>();
    for (const c of chunkText(text)) freq.set(c, (freq.get(c) ?? 0) + 1);
    const encoder = new TextEncoder();
    const words: number[][] = [];
    const weights: number[] = [];
    for (const [c, n] of freq) {
      words.push([...encoder.encode(c)]);
      weights.push(n);
    }
    const counts = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const addPairs = (w: number, sign: number) => {
      const ids = words[w];
      for (let i = 0; i + 1 < ids.length; i++) {
        const k = pairKey(ids[i], ids[i + 1]);
        counts.set(k, (counts.get(k) ?? 0) + sign * weights[w]);
        if (sign > 0) {
          let s = where.get(k);
          if (!s) where.set(k, s = new Set());
          s.add(w);
        }
      }
    };
    for (let w = 0; w < words.length; w++) addPairs(w, 1);
    const merges: Array<[number, number]> = [];
    while (256 + merges.length + 1 < vocabSize) {
      let best = -1, bestCount = minCount - 1;
      for (const [k, n] of counts) {
        if (n > bestCount || (n === bestCount && best >= 0 && k < best)) {
          best = k;
          bestCount = n;
        }
      }
      if (best < 0) break;
      const a = Math.floor(best / 65536), b = best % 65536;
      const id = 256 + merges.length;
      merges.push([a, b]);
      for (const w of where.get(best) ?? []) {
        const ids = words[w];
        let found = false;
        for (let i = 0; i + 1 < ids.length; i++) if (ids[i] === a && ids[i + 1] === b) found = true;
        if (!found) continue;
        addPairs(w, -1);
        words[w] = mergePair(ids, a, b, id);
        addPairs(w, 1);
      }
      counts.delete(best);
      where.delete(best);
      for (const [k, n] of counts) if (n <= 0) counts.delete(k);
    }
    return new Tokenizer(merges);
  }

  /** Reads the JSON form, checking every merge. */
  static fromJSON(json: unknown): Tokenizer {
    const j = json as Partial<TokenizerJson> | null;
    if (!j || j.format !== FORMAT || !Array.isArray(j.merges)) {
      throw new TokenizerError("TOKENIZER_INVALID", `not a ${FORMAT} tokenizer file`);
    }
    const merges = j.merges.map((m, i): [number, number] => {
      if (!Array.isArray(m) || m.length !== 2) {
        throw new TokenizerError("TOKENIZER_INVALID", `merge ${i} is not a pair`);
      }
      return [Number(m[0]), Number(m[1])];
    });
    const tok = new Tokenizer(merges);
    if (j.special?.[EOS_TEXT] !== undefined && j.special[EOS_TEXT] !== tok.eosId) {
      throw new TokenizerError(
        "TOKENIZER_INVALID",
        `EOS id ${j.special[EOS_TEXT]} does not follow the merges`,
      );
    }
    return tok;
  }

  /** The JSON form (`tokenizer.json`). */
  toJSON(): TokenizerJson {
    return {
      format: FORMAT,
      merges: this.merges.map(([a, b]) => [a, b]),
      special: { [EOS_TEXT]: this.eosId },
    };
  }

  /** Token ids of `text` (never includes EOS; append {@link eosId} yourself). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const chunk of chunkText(text)) {
      let ids = this.#cache.get(chunk);
      if (!ids) {
        ids = this.#encodeChunk(this.#encoder.encode(chunk));
        if (this.#cache.size < 100_000) this.#cache.set(chunk, ids);
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  /** The UTF-8 bytes of a token sequence; EOS contributes nothing. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += this.tokenBytes(ids[i]).length;
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.tokenBytes(ids[i]);
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  /**
   * Text of a token sequence (invalid UTF-8, e.g. a cut multi-byte character, becomes U+FFFD). A leading
   * U+FEFF is text like any other character and is kept (`TextDecoder` would strip it as a BOM).
   */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(this.decodeBytes(ids));
  }

  /** Bytes of one token (empty for EOS). */
  tokenBytes(id: number): Uint8Array {
    if (id === this.eosId) return new Uint8Array(0);
    const b = this.#bytes[id];
    if (!b) throw new TokenizerError("TOKENIZER_INVALID", `token id ${id} is outside the vocabulary`);
    return b;
  }

  /** A decoder for token-by-token streaming that never splits a multi-byte character. */
  streamDecoder(): { push(id: number): string; flush(): string } {
    const dec = new TextDecoder("utf-8", { ignoreBOM: true });
    return {
      push: (id) => dec.decode(this.tokenBytes(id), { stream: true }),
      flush: () => dec.decode(),
    };
  }

  #encodeChunk(bytes: Uint8Array): number[] {
    let ids = Array.from(bytes);
    while (ids.length > 1) {
      let bestRank = Infinity, at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.#rank.get(pairKey(ids[i], ids[i + 1]));
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          at = i;
        }
      }
      if (at < 0) break;
      const [a, b] = this.merges[bestRank];
      const id = 256 + bestRank;
      ids = mergePair(ids, a, b, id);
    }
    return ids;
  }
}

/** `ids` with every adjacent (a, b) replaced by `id`, left to right. */
function mergePair(ids: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(id);
      i++;
    } else out.push(ids[i]);
  }
  return out;
}
