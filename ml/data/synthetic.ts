/**
 * Deterministic synthetic Alpaca files for tests and benchmarks: pseudo-English records (a 4,000-word
 * invented vocabulary drawn with Zipf frequencies) of a chosen size, with a known set of planted near-duplicate instructions, written as a stream.
 */
import { Rng } from "../random.ts";
import type { AlpacaRecord } from "./alpaca.ts";

/** Options for {@link writeSyntheticAlpaca}. */
export interface SyntheticOptions {
  records: number;
  seed?: number;
  /** Approximate length of each output in characters. Default 640 (≈ 800-byte JSON records). */
  outputChars?: number;
  /** Every `nearDuplicateEvery`-th record (from the second block on) rewrites an earlier instruction
   * with one word changed. 0 disables. Default 0. */
  nearDuplicateEvery?: number;
  format?: "json" | "jsonl";
}

/** What was written: byte size and the indices of planted near-duplicates with their sources. */
export interface SyntheticResult {
  bytes: number;
  planted: { index: number; of: number }[];
}

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ten",
  "ra",
  "vo",
  "sel",
  "du",
  "pra",
  "nis",
  "to",
  "bel",
  "qua",
  "fin",
  "mor",
  "ze",
];

function vocabulary(rng: Rng, size: number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 1 + rng.int(3);
    let w = "";
    for (let i = 0; i < n; i++) w += rng.pick(SYLLABLES);
    words.add(w);
  }
  return [...words];
}

/** Generates records one by one (no file involved). */
export function* syntheticRecords(
  options: Omit<SyntheticOptions, "format">,
): Generator<{ record: AlpacaRecord; nearDuplicateOf: number | null }> {
  const rng = new Rng(options.seed ?? 1);
  const words = vocabulary(rng, 4000);
  const outputChars = options.outputChars ?? 640;
  const every = options.nearDuplicateEvery ?? 0;
  const recent: string[][] = [];
  // Zipf-distributed word choice (weight 1/rank), like natural text.
  const cumulative = new Float64Array(words.length);
  let sum = 0;
  for (let r = 0; r < words.length; r++) cumulative[r] = sum += 1 / (r + 1);
  const word = () => {
    const x = rng.next() * sum;
    let lo = 0;
    let hi = words.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  const sentence = (n: number) => Array.from({ length: n }, word);
  for (let i = 0; i < options.records; i++) {
    let instructionWords: string[];
    let nearDuplicateOf: number | null = null;
    if (every > 0 && i >= every && i % every === 0) {
      const of = i - 1 - rng.int(Math.min(i, 50));
      instructionWords = [...recent[of % 64]];
      instructionWords[rng.int(instructionWords.length)] = `changed${i}`;
      nearDuplicateOf = of;
    } else {
      instructionWords = sentence(10 + rng.int(11));
    }
    recent[i % 64] = instructionWords;
    const instruction = instructionWords.join(" ") + ".";
    const input = rng.next() < 0.3 ? sentence(5 + rng.int(20)).join(" ") : "";
    let output = "";
    while (output.length < outputChars) output += (output === "" ? "" : " ") + word();
    yield { record: { instruction, input, output: output + "." }, nearDuplicateOf };
  }
}

/** Writes a synthetic file to `path` in chunks; memory stays flat for any size. */
export async function writeSyntheticAlpaca(
  path: string,
  options: SyntheticOptions,
): Promise<SyntheticResult> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const array = (options.format ?? "jsonl") === "json";
  const planted: { index: number; of: number }[] = [];
  let bytes = 0;
  let buffer: string[] = [];
  let size = 0;
  const flush = async () => {
    const data = encoder.encode(buffer.join(""));
    buffer = [];
    size = 0;
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
    bytes += data.length;
  };
  try {
    if (array) buffer.push("[\n");
    let i = 0;
    for (const { record, nearDuplicateOf } of syntheticRecords(options)) {
      if (nearDuplicateOf !== null) planted.push({ index: i, of: nearDuplicateOf });
      const json = JSON.stringify(record);
      const text = array ? (i === 0 ? json : `,\n${json}`) : `${json}\n`;
      buffer.push(text);
      size += text.length;
      if (size > 1 << 20) await flush();
      i++;
    }
    if (array) buffer.push("\n]\n");
    await flush();
  } finally {
    file.close();
  }
  return { bytes, planted };
}
