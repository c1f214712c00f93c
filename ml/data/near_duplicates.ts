/**
 * Near-duplicate detection by ROUGE-L F-measure, exact but fast enough for tens of thousands of texts.
 *
 * ROUGE-L F = 2·LCS/(m+n) for token counts m, n. F > τ needs LCS > τ(m+n)/2, and since the LCS is at
 * most the multiset overlap of the two token bags, the bags must overlap in more than τ/(2−τ)·m tokens
 * (for τ = 0.7: 7m/13). That turns the search into a set-similarity join, solved with prefix filtering
 * (AllPairs): order every bag's (token, occurrence) items from globally rarest to most common; two bags
 * overlapping in at least t items share at least k items among their first `size − t + k` (k ≤ t).
 * Earlier texts are visited in ascending order through the posting lists of those prefix items; only
 * those sharing two prefix items (one when t = 1) that also pass the length bound and the bag-overlap
 * bound get the exact LCS, and the first match ends the search. No false negatives; it can approach
 * quadratic time only when many texts share most of their rare words but still score below τ.
 */
import { lcsLength, rougeTokens } from "./rouge.ts";

/** One text flagged as a near-duplicate of an earlier one. */
export interface NearDuplicate {
  /** Position of the later text. */
  index: number;
  /** Position of the earlier text it matches (the earliest one, among those above the threshold). */
  of: number;
  /** ROUGE-L F-measure of the pair. */
  score: number;
}

/** Options for {@link findNearDuplicates}. */
export interface NearDuplicateOptions {
  /** Flag pairs whose ROUGE-L F-measure is strictly above this (Alpaca: 0.7). */
  threshold?: number;
}

/** Counters that show how much work candidate filtering saved. */
export interface NearDuplicateStats {
  texts: number;
  /** Pairs reached through shared prefix items. */
  candidates: number;
  /** Pairs whose exact LCS was computed. */
  lcsComputed: number;
}

/** Result of {@link findNearDuplicates}. */
export interface NearDuplicateResult {
  duplicates: NearDuplicate[];
  stats: NearDuplicateStats;
}

/**
 * Flags every text whose ROUGE-L F-measure with some earlier text is above the threshold, naming the
 * earliest such text. Accepts raw strings or token lists from {@link rougeTokens}.
 */
export function findNearDuplicates(
  texts: readonly (string | readonly string[])[],
  options: NearDuplicateOptions = {},
): NearDuplicateResult {
  const vocab = new TokenIds();
  return findNearDuplicateSequences(
    texts.map((t) => vocab.ids(typeof t === "string" ? rougeTokens(t) : t)),
    options,
  );
}

/** Interns tokens as small integers so many token lists fit in typed arrays. */
export class TokenIds {
  #ids = new Map<string, number>();

  /** The id sequence of `tokens`, assigning new ids to unseen tokens. */
  ids(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      let id = this.#ids.get(tokens[i]);
      if (id === undefined) {
        id = this.#ids.size;
        this.#ids.set(tokens[i], id);
      }
      out[i] = id;
    }
    return out;
  }

  /** Number of distinct tokens seen. */
  get size(): number {
    return this.#ids.size;
  }
}

/** {@link findNearDuplicates} over sequences already mapped to token ids (see {@link TokenIds}). */
export function findNearDuplicateSequences(
  seqs: readonly Int32Array[],
  options: NearDuplicateOptions = {},
): NearDuplicateResult {
  const threshold = options.threshold ?? 0.7;
  const texts = seqs;
  // Bag items: the k-th occurrence of token t is its own item (t itself for k = 0, a fresh id after
  // that), so set overlap equals multiset overlap.
  let vocabulary = 0;
  for (const seq of seqs) for (const t of seq) if (t >= vocabulary) vocabulary = t + 1;
  const repeatIds = new Map<number, number>();
  const occurrences = new Map<number, number>();
  const bags: Int32Array[] = seqs.map((seq) => {
    const bag = new Int32Array(seq);
    occurrences.clear();
    for (let i = 0; i < bag.length; i++) {
      const t = bag[i];
      const k = occurrences.get(t) ?? 0;
      occurrences.set(t, k + 1);
      if (k === 0) continue;
      const key = t * 64 + Math.min(k, 63);
      let item = repeatIds.get(key);
      if (item === undefined) {
        item = vocabulary + repeatIds.size;
        repeatIds.set(key, item);
      }
      bag[i] = item;
    }
    return bag;
  });
  // Replace items by their rank from rarest to most common, so "sorted by rarity" is numeric order.
  const itemCount = vocabulary + repeatIds.size;
  const frequency = new Int32Array(itemCount);
  for (const bag of bags) for (const item of bag) frequency[item]++;
  const order = Array.from({ length: itemCount }, (_, i) => i).sort((a, b) =>
    frequency[a] - frequency[b] || a - b
  );
  const rank = new Int32Array(itemCount);
  for (let r = 0; r < order.length; r++) rank[order[r]] = r;
  for (const bag of bags) {
    for (let i = 0; i < bag.length; i++) bag[i] = rank[bag[i]];
    bag.sort();
  }

  // Overlap lower bound for a bag of size m against any partner: o > ratio·m, ratio = τ/(2−τ).
  // With overlap ≥ α, the first `size − α + k` items of both bags share at least k items (k ≤ α);
  // requiring k = 2 shared prefix items discards most pairs that only share one word.
  const ratio = threshold / (2 - threshold);
  const minOverlap = (m: number) => Math.floor(ratio * m + 1e-9) + 1;
  const prefixOf = (m: number) => {
    const alpha = minOverlap(m);
    return Math.min(m, m - alpha + Math.min(SHARED, alpha));
  };
  const required = (m: number) => Math.min(SHARED, minOverlap(m));
  const postings: (number[] | undefined)[] = new Array(itemCount);
  const duplicates: NearDuplicate[] = [];
  const stats: NearDuplicateStats = { texts: texts.length, candidates: 0, lcsComputed: 0 };
  const merge = new PostingMerge();
  const stamp = new Int32Array(bags.length).fill(-1);
  const shared = new Int32Array(bags.length);
  const candidateBuffer = new Int32Array(bags.length);

  for (let i = 0; i < bags.length; i++) {
    const bag = bags[i];
    const m = bag.length;
    if (m === 0) continue;
    const prefix = prefixOf(m);
    const lists: number[][] = [];
    for (let p = 0; p < prefix; p++) {
      const list = postings[bag[p]];
      if (list !== undefined) lists.push(list);
    }
    const need = required(m);
    const verify = (j: number, shared: number): boolean => {
      stats.candidates++;
      const n = bags[j].length;
      if (shared < required(n)) return false;
      if (2 * Math.min(m, n) <= threshold * (m + n)) return false;
      if (2 * bagOverlap(bag, bags[j]) <= threshold * (m + n)) return false;
      stats.lcsComputed++;
      const score = (2 * lcsLength(seqs[i], seqs[j])) / (m + n);
      if (score <= threshold) return false;
      duplicates.push({ index: i, of: j, score });
      return true;
    };
    let total = 0;
    for (const list of lists) total += list.length;
    if (total <= COUNTING_LIMIT) {
      // Few postings: count shared prefix items per earlier text, then verify candidates in ascending order.
      let found = 0;
      for (const list of lists) {
        for (const j of list) {
          if (stamp[j] !== i) {
            stamp[j] = i;
            shared[j] = 1;
          } else shared[j]++;
          if (shared[j] === need) candidateBuffer[found++] = j;
        }
      }
      const candidates = candidateBuffer.subarray(0, found).sort();
      for (const j of candidates) if (verify(j, shared[j])) break;
    } else {
      // Long postings (many texts share a template): merge them in ascending order and stop at the first match.
      merge.reset(lists);
      for (let j = merge.next(); j !== -1; j = merge.next()) {
        if (merge.count >= need && verify(j, merge.count)) break;
      }
    }
    for (let p = 0; p < prefix; p++) {
      const list = postings[bag[p]];
      if (list === undefined) postings[bag[p]] = [i];
      else list.push(i);
    }
  }
  return { duplicates, stats };
}

/** Above this many postings per probe, texts are visited through the early-exit merge instead of counted. */
const COUNTING_LIMIT = 65536;
/** Shared prefix items required of a candidate pair (fewer when the overlap bound itself is smaller). */
const SHARED = 3;

/**
 * K-way merge of ascending posting lists with a binary heap: `next()` returns each distinct text id
 * once, in ascending order, and `count` says how many lists contained it.
 */
class PostingMerge {
  #lists: number[][] = [];
  #pos = new Int32Array(16);
  #heap = new Int32Array(16); // list indices, ordered by their current head
  #size = 0;
  /** Lists that contained the id last returned by `next()`. */
  count = 0;

  reset(lists: number[][]): void {
    this.#lists = lists;
    if (this.#pos.length < lists.length) {
      this.#pos = new Int32Array(lists.length * 2);
      this.#heap = new Int32Array(lists.length * 2);
    }
    this.#size = 0;
    for (let l = 0; l < lists.length; l++) {
      this.#pos[l] = 0;
      this.#push(l);
    }
  }

  next(): number {
    if (this.#size === 0) return -1;
    const value = this.#head(this.#heap[0]);
    this.count = 0;
    while (this.#size > 0 && this.#head(this.#heap[0]) === value) {
      const l = this.#heap[0];
      this.count++;
      this.#pos[l]++;
      if (this.#pos[l] < this.#lists[l].length) this.#down(0);
      else {
        this.#heap[0] = this.#heap[--this.#size];
        if (this.#size > 0) this.#down(0);
      }
    }
    return value;
  }

  #head(l: number): number {
    return this.#lists[l][this.#pos[l]];
  }

  #push(l: number): void {
    let i = this.#size++;
    this.#heap[i] = l;
    const v = this.#head(l);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#head(this.#heap[parent]) <= v) break;
      this.#heap[i] = this.#heap[parent];
      i = parent;
    }
    this.#heap[i] = l;
  }

  #down(i: number): void {
    const l = this.#heap[i];
    const v = this.#head(l);
    while (true) {
      let child = 2 * i + 1;
      if (child >= this.#size) break;
      if (child + 1 < this.#size && this.#head(this.#heap[child + 1]) < this.#head(this.#heap[child])) {
        child++;
      }
      if (this.#head(this.#heap[child]) >= v) break;
      this.#heap[i] = this.#heap[child];
      i = child;
    }
    this.#heap[i] = l;
  }
}

/** Size of the intersection of two ascending bags. */
function bagOverlap(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  let overlap = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      overlap++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return overlap;
}
