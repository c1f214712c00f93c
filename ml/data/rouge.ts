/**
 * ROUGE-L as Google's `rouge_score` computes it without a stemmer (the scorer Stanford Alpaca used
 * to drop near-duplicate instructions): lowercase, every run of characters outside `[a-z0-9]`
 * becomes a separator, then the longest common subsequence (LCS) over the token lists gives
 * precision `LCS/|candidate|`, recall `LCS/|reference|` and F1 `2·LCS/(|a|+|b|)`.
 */

/** ROUGE-L precision, recall and F-measure. */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

const NON_ALPHANUM = /[^a-z0-9]+/g;

/** Tokenizes like `rouge_score.tokenize` (no stemming): lowercase ASCII alphanumeric runs. */
export function rougeTokens(text: string): string[] {
  const cleaned = text.toLowerCase().replace(NON_ALPHANUM, " ").trim();
  return cleaned === "" ? [] : cleaned.split(" ");
}

/** Length of the longest common subsequence of two sequences, in O(|a|·|b|) time and O(|b|) memory. */
export function lcsLength<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = b.length;
  if (a.length === 0 || n === 0) return 0;
  const row = new Int32Array(n + 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    let diagonal = 0;
    for (let j = 1; j <= n; j++) {
      const above = row[j];
      row[j] = ai === b[j - 1] ? diagonal + 1 : (above > row[j - 1] ? above : row[j - 1]);
      diagonal = above;
    }
  }
  return row[n];
}

/** ROUGE-L between a `reference` and a `candidate` text (symmetric in its F-measure). */
export function rougeL(reference: string, candidate: string): RougeScore {
  return rougeLTokens(rougeTokens(reference), rougeTokens(candidate));
}

/** ROUGE-L between two already tokenized sequences. */
export function rougeLTokens<T>(reference: ArrayLike<T>, candidate: ArrayLike<T>): RougeScore {
  const lcs = lcsLength(reference, candidate);
  if (lcs === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const precision = lcs / candidate.length;
  const recall = lcs / reference.length;
  return { precision, recall, fmeasure: (2 * precision * recall) / (precision + recall) };
}
