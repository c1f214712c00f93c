/**
 * Quality metrics for Alpaca records, accumulated one record at a time so a large file is analyzed
 * while it streams. Every metric keeps an exact count, the indices of the records it flags and a few
 * examples; lengths are summarized as distributions; an overall 0–100 score sums per-record penalties.
 */
import type { AlpacaRecord } from "./alpaca.ts";
import { findNearDuplicateSequences, TokenIds } from "./near_duplicates.ts";
import { rougeTokens } from "./rouge.ts";
import { type Distribution, IntSamples } from "./stats.ts";
import { countGpt2Tokens } from "./tokens.ts";
import { PROMPT_NO_INPUT, PROMPT_WITH_INPUT } from "./templates.ts";

/** Names of the per-record quality checks, in report order. */
export const METRIC_NAMES: readonly MetricName[] = [
  "emptyInstruction",
  "emptyOutput",
  "placeholderOutput",
  "placeholderInput",
  "exactDuplicate",
  "nearDuplicateInstruction",
  "overTokenBudget",
  "shortInstruction",
  "longInstruction",
  "controlCharacters",
  "strayEscapes",
  "urlInInput",
  "imageInInput",
];

/** One quality check's name. */
export type MetricName =
  | "emptyInstruction"
  | "emptyOutput"
  | "placeholderOutput"
  | "placeholderInput"
  | "exactDuplicate"
  | "nearDuplicateInstruction"
  | "overTokenBudget"
  | "shortInstruction"
  | "longInstruction"
  | "controlCharacters"
  | "strayEscapes"
  | "urlInInput"
  | "imageInInput";

/** One flagged record, shown as an example. */
export interface MetricExample {
  /** 0-based record index. */
  index: number;
  /** 1-based line the record starts on. */
  line: number;
  /** What was found, e.g. the placeholder text, the duplicated record, the token count. */
  detail: string;
}

/** Result of one check. */
export interface Metric {
  /** What the check looks for. */
  description: string;
  /** Records flagged. */
  count: number;
  /** Indices of flagged records, ascending (at most `maxIndices`). */
  indices: number[];
  /** The first few flagged records with details. */
  examples: MetricExample[];
  /** Per-variant counts where the check has variants (e.g. which no-input placeholder). */
  variants?: Record<string, number>;
}

/** Length distributions of one field in characters, whitespace-separated words and GPT-2 tokens. */
export interface FieldLengths {
  /** In UTF-16 characters. */
  chars: Distribution;
  /** In whitespace-separated words. */
  words: Distribution;
  /** In GPT-2 (r50k_base) tokens. */
  gpt2Tokens: Distribution;
}

/** Everything the analyzer found. */
export interface QualityReport {
  /** Records analyzed. */
  records: number;
  /** Each check: count, flagged record indices, first examples. */
  metrics: Record<MetricName, Metric>;
  /** Length distributions of the fields (words and GPT-2 tokens). */
  lengths: {
    instruction: FieldLengths;
    input: FieldLengths;
    output: FieldLengths;
    /** GPT-2 tokens of the Alpaca prompt + output + 1 end-of-sequence token. */
    exampleTokens: Distribution;
  };
  /** 0-100, and how it was computed. */
  score: { value: number; explanation: string };
  /** Work done by the near-duplicate pass. */
  nearDuplicatePass: { candidates: number; lcsComputed: number; ms: number };
}

/** Options for {@link QualityAnalyzer}. */
export interface QualityOptions {
  /** Token budget of one formatted example (prompt + output + EOS), GPT-2 tokens. Default 512 (Alpaca's). */
  maxTokens?: number;
  /** ROUGE-L F-measure above which two instructions are near-duplicates. Default 0.7 (Alpaca's). */
  nearDuplicateThreshold?: number;
  /** Skip the near-duplicate pass entirely. */
  skipNearDuplicates?: boolean;
  /** Examples kept per metric. Default 5. */
  maxExamples?: number;
  /** Indices kept per metric. Default 10,000. */
  maxIndices?: number;
}

const DESCRIPTIONS: Record<MetricName, string> = {
  emptyInstruction: "instruction is empty or whitespace only",
  emptyOutput: "output is empty or whitespace only",
  placeholderOutput: 'output is a placeholder such as "N/A" or "none"',
  placeholderInput:
    'input is a no-input placeholder ("<noinput>", "N/A", "None", "No input", ...) to normalize to ""',
  exactDuplicate: "same instruction, input and output as an earlier record after normalization",
  nearDuplicateInstruction: "instruction has ROUGE-L F > threshold with an earlier record's instruction",
  overTokenBudget: "prompt + output + EOS exceeds the GPT-2 token budget",
  shortInstruction: "instruction has fewer than 3 words",
  longInstruction: "instruction has more than 150 words",
  controlCharacters: "control characters or U+FFFD replacement characters in a field",
  strayEscapes: 'literal escape sequences (\\n, \\t, \\u00e9, \\") or HTML entities (&amp;) left in the text',
  urlInInput: "input contains a URL",
  imageInInput: "input refers to an image (markdown image, <img>, or an image file name)",
};

/** Penalty (0–1) a record takes for each problem; a record's penalty is the largest that applies. */
export const PENALTIES: Record<MetricName | "invalid", number> = {
  invalid: 1,
  emptyInstruction: 1,
  emptyOutput: 1,
  placeholderOutput: 1,
  exactDuplicate: 1,
  nearDuplicateInstruction: 0.5,
  overTokenBudget: 0.5,
  shortInstruction: 0.25,
  longInstruction: 0.25,
  controlCharacters: 0.25,
  strayEscapes: 0.25,
  urlInInput: 0.25,
  imageInInput: 0.25,
  placeholderInput: 0.05,
};

const OUTPUT_PLACEHOLDERS = new Set([
  "n/a",
  "na",
  "none",
  "null",
  "nil",
  "nothing",
  "-",
  "<nooutput>",
  "no output",
]);
const INPUT_PLACEHOLDERS = new Set([
  "<noinput>",
  "<no input>",
  "noinput",
  "no input",
  "no input.",
  "n/a",
  "na",
  "none",
  "null",
  "nil",
  "-",
  "empty",
]);
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/;
const STRAY_ESCAPE =
  /\\(?:[ntr"\\/]|u[0-9a-fA-F]{4})|&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,6}|#x[0-9a-fA-F]{1,6});/;
const URL = /\bhttps?:\/\/\S+|\bwww\.[a-z0-9-]+\.[a-z]{2,}/i;
const IMAGE = /!\[[^\]]*\]\([^)]*\)|<img\b|\b[\w-]+\.(?:png|jpe?g|gif|bmp|svg|webp|tiff?)\b/i;

/** Whether `input` is a no-input placeholder; returns the placeholder's canonical spelling or null. */
export function inputPlaceholder(input: string): string | null {
  const key = input.trim().toLowerCase();
  return key !== "" && INPUT_PLACEHOLDERS.has(key) ? key : null;
}

/** Whether `output` is a placeholder answer such as "N/A" (an empty output is counted as empty instead). */
export function isPlaceholderOutput(output: string): boolean {
  return OUTPUT_PLACEHOLDERS.has(output.trim().toLowerCase());
}

/** Canonical text used for exact-duplicate detection: NFKC, lowercase, single spaces, placeholder input → "". */
export function normalizeForDuplicates(record: AlpacaRecord): string {
  const norm = (s: string) =>
    (NON_ASCII.test(s) ? s.normalize("NFKC") : s).toLowerCase().replace(/\s+/g, " ").trim();
  const input = inputPlaceholder(record.input) === null ? record.input : "";
  return `${norm(record.instruction)}\u0000${norm(input)}\u0000${norm(record.output)}`;
}

/** 53-bit string hash (cyrb53); collisions among 50k records have probability ~1e-7. */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const NON_ASCII = /[^\u0020-\u007e\t\n\r]/;

/** Whitespace-separated words (ASCII whitespace and the Unicode spaces `\s` matches). */
function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(text[i]));
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  return words;
}

function clip(text: string, max = 60): string {
  const flat = JSON.stringify(text);
  return flat.length <= max ? flat : `${flat.slice(0, max - 2)}…"`;
}

class Lengths {
  chars = new IntSamples();
  words = new IntSamples();
  tokens = new IntSamples();
  summary(): FieldLengths {
    return { chars: this.chars.summary(), words: this.words.summary(), gpt2Tokens: this.tokens.summary() };
  }
}

/** Token-id sequences packed into one growable buffer, with the record index and line of each. */
class PackedSequences {
  #data = new Int32Array(1 << 16);
  #used = 0;
  #meta = new Int32Array(3 * 1024); // start, record index, line
  #count = 0;

  add(ids: Int32Array, index: number, line: number): void {
    while (this.#used + ids.length > this.#data.length) this.#data = grow(this.#data);
    this.#data.set(ids, this.#used);
    if (3 * (this.#count + 1) > this.#meta.length) this.#meta = grow(this.#meta);
    this.#meta.set([this.#used, index, line], 3 * this.#count);
    this.#used += ids.length;
    this.#count++;
  }

  views(): Int32Array[] {
    return Array.from({ length: this.#count }, (_, i) => {
      const end = i + 1 < this.#count ? this.#meta[3 * (i + 1)] : this.#used;
      return this.#data.subarray(this.#meta[3 * i], end);
    });
  }

  owner(i: number): number {
    return this.#meta[3 * i + 1];
  }

  line(i: number): number {
    return this.#meta[3 * i + 2];
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Per-record verdict of {@link QualityAnalyzer.add}. */
export interface RecordVerdict {
  /** Checks that flagged the record (near-duplicates are only known at {@link QualityAnalyzer.finish}). */
  flags: MetricName[];
  /** Index of the earlier record this one exactly duplicates, or null. */
  duplicateOf: number | null;
  /** The no-input placeholder found in `input`, or null. */
  placeholderInput: string | null;
}

/** Streams records in, then {@link QualityAnalyzer.finish} produces the {@link QualityReport}. */
export class QualityAnalyzer {
  readonly #maxTokens: number;
  readonly #threshold: number;
  readonly #skipNear: boolean;
  readonly #maxExamples: number;
  readonly #maxIndices: number;
  readonly #metrics: Record<MetricName, Metric>;
  readonly #seen = new Map<number, number>();
  readonly #vocab = new TokenIds();
  readonly #instructions = new PackedSequences();
  #penalties = new Uint8Array(1024);
  #records = 0;
  readonly #lengths = { instruction: new Lengths(), input: new Lengths(), output: new Lengths() };
  readonly #exampleTokens = new IntSamples();
  readonly #templateTokens: { withInput: number; noInput: number };

  /** Creates an analyzer; see {@link QualityOptions} for defaults. */
  constructor(options: QualityOptions = {}) {
    this.#maxTokens = options.maxTokens ?? 512;
    this.#threshold = options.nearDuplicateThreshold ?? 0.7;
    this.#skipNear = options.skipNearDuplicates ?? false;
    this.#maxExamples = options.maxExamples ?? 5;
    this.#maxIndices = options.maxIndices ?? 10_000;
    this.#metrics = Object.fromEntries(
      METRIC_NAMES.map((
        name,
      ) => [name, { description: DESCRIPTIONS[name], count: 0, indices: [], examples: [] }]),
    ) as unknown as Record<MetricName, Metric>;
    this.#metrics.placeholderInput.variants = {};
    const strip = (t: string) => t.replace("{instruction}", "").replace("{input}", "");
    this.#templateTokens = {
      withInput: countGpt2Tokens(strip(PROMPT_WITH_INPUT)),
      noInput: countGpt2Tokens(strip(PROMPT_NO_INPUT)),
    };
  }

  /** Records a record that failed the schema (it counts against the score, nothing else). */
  addInvalid(index: number): void {
    this.#records++;
    this.#penalize(index, PENALTIES.invalid);
  }

  /** Analyzes one valid record at position `index`, starting on `line`. */
  add(index: number, line: number, record: AlpacaRecord): RecordVerdict {
    this.#records++;
    const flags: MetricName[] = [];
    const flag = (name: MetricName, detail: string) => {
      flags.push(name);
      const m = this.#metrics[name];
      m.count++;
      if (m.indices.length < this.#maxIndices) m.indices.push(index);
      if (m.examples.length < this.#maxExamples) m.examples.push({ index, line, detail });
      this.#penalize(index, PENALTIES[name]);
    };
    const { instruction, input, output } = record;

    if (instruction.trim() === "") flag("emptyInstruction", clip(instruction));
    if (output.trim() === "") flag("emptyOutput", clip(output));
    else if (isPlaceholderOutput(output)) flag("placeholderOutput", clip(output));
    const placeholder = inputPlaceholder(input);
    if (placeholder !== null) {
      flag("placeholderInput", clip(input));
      const variants = this.#metrics.placeholderInput.variants!;
      variants[input.trim()] = (variants[input.trim()] ?? 0) + 1;
    }

    const key = hash53(normalizeForDuplicates(record));
    const first = this.#seen.get(key);
    let duplicateOf: number | null = null;
    if (first === undefined) this.#seen.set(key, index);
    else {
      duplicateOf = first;
      flag("exactDuplicate", `same as record ${first}: ${clip(instruction, 40)}`);
    }

    const effectiveInput = placeholder === null ? input : "";
    const tokens = { instruction: 0, input: 0, output: 0 };
    for (const field of ["instruction", "input", "output"] as const) {
      const text = field === "input" ? effectiveInput : record[field];
      const l = this.#lengths[field];
      l.chars.add(text.length);
      l.words.add(countWords(text));
      tokens[field] = countGpt2Tokens(text);
      l.tokens.add(tokens[field]);
    }
    const total = (effectiveInput === "" ? this.#templateTokens.noInput : this.#templateTokens.withInput) +
      tokens.instruction + tokens.input + tokens.output + 1;
    this.#exampleTokens.add(total);
    if (total > this.#maxTokens) flag("overTokenBudget", `${total} tokens > ${this.#maxTokens}`);

    const words = countWords(instruction);
    if (words > 0 && words < 3) {
      flag("shortInstruction", `${words} word${words === 1 ? "" : "s"}: ${clip(instruction)}`);
    }
    if (words > 150) flag("longInstruction", `${words} words`);

    const withControl = (["instruction", "input", "output"] as const).filter((f) => CONTROL.test(record[f]));
    if (withControl.length > 0) flag("controlCharacters", `in ${withControl.join(", ")}`);
    const withEscapes = (["instruction", "input", "output"] as const).filter((f) =>
      STRAY_ESCAPE.test(record[f])
    );
    if (withEscapes.length > 0) {
      const f = withEscapes[0];
      flag("strayEscapes", `in ${withEscapes.join(", ")}: ${clip(STRAY_ESCAPE.exec(record[f])![0])}`);
    }
    const url = URL.exec(input);
    if (url) flag("urlInInput", clip(url[0]));
    const image = IMAGE.exec(input);
    if (image) flag("imageInInput", clip(image[0]));

    if (!this.#skipNear && duplicateOf === null && instruction.trim() !== "") {
      this.#instructions.add(this.#vocab.ids(rougeTokens(instruction)), index, line);
    }
    return { flags, duplicateOf, placeholderInput: placeholder };
  }

  /** Runs the near-duplicate pass and assembles the report. */
  finish(): QualityReport {
    const started = performance.now();
    const pass = { candidates: 0, lcsComputed: 0, ms: 0 };
    if (!this.#skipNear) {
      const packed = this.#instructions;
      const { duplicates, stats } = findNearDuplicateSequences(packed.views(), {
        threshold: this.#threshold,
      });
      pass.candidates = stats.candidates;
      pass.lcsComputed = stats.lcsComputed;
      const m = this.#metrics.nearDuplicateInstruction;
      for (const d of duplicates) {
        const index = packed.owner(d.index);
        const of = packed.owner(d.of);
        m.count++;
        if (m.indices.length < this.#maxIndices) m.indices.push(index);
        if (m.examples.length < this.#maxExamples) {
          m.examples.push({
            index,
            line: packed.line(d.index),
            detail: `ROUGE-L ${d.score.toFixed(3)} with record ${of}`,
          });
        }
        this.#penalize(index, PENALTIES.nearDuplicateInstruction);
      }
    }
    pass.ms = Math.round(performance.now() - started);

    let penalty = 0;
    const n = this.#records;
    for (let i = 0; i < Math.min(n, this.#penalties.length); i++) penalty += this.#penalties[i] / 100;
    const value = n === 0 ? 0 : Math.round(1000 * (1 - penalty / n)) / 10;
    const explanation =
      "100 × (1 − mean per-record penalty). A record's penalty is the largest that applies: " +
      "1 for invalid, empty instruction or output, placeholder output, exact duplicate; 0.5 for near-duplicate " +
      "instruction or over the token budget; 0.25 for instruction length out of 3–150 words, control characters, " +
      "stray escapes, URL or image in input; 0.05 for a placeholder input; 0 otherwise.";
    return {
      records: n,
      metrics: this.#metrics,
      lengths: {
        instruction: this.#lengths.instruction.summary(),
        input: this.#lengths.input.summary(),
        output: this.#lengths.output.summary(),
        exampleTokens: this.#exampleTokens.summary(),
      },
      score: { value, explanation },
      nearDuplicatePass: pass,
    };
  }

  #penalize(index: number, weight: number): void {
    while (index >= this.#penalties.length) {
      const grown = new Uint8Array(this.#penalties.length * 2);
      grown.set(this.#penalties);
      this.#penalties = grown;
    }
    const w = Math.round(weight * 100);
    if (w > this.#penalties[index]) this.#penalties[index] = w;
  }
}
