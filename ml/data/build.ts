/**
 * Builds the project's training data deterministically from a seed, from datasets shipped in npm
 * packages:
 *
 * - `instructions.{train,val}.jsonl`: Alpaca records from WordNet (definitions, example sentences,
 *   synonyms) plus template-based small talk ({@link conversationRecords});
 * - `corpus.{train,val}.txt`: plain text from Moby-Dick and the State of the Union addresses, split by
 *   whole documents, documents separated by a blank line.
 *
 * The instruction files are validated with {@link validateFile} before the build reports success.
 */
import type { AlpacaRecord } from "./alpaca.ts";
import { conversationRecords } from "./conversation.ts";
import { type CorpusDocument, readMobyDick, readStateOfTheUnion } from "./corpus.ts";
import { DataError } from "./errors.ts";
import { normalizeForDuplicates } from "./quality.ts";
import { Rng } from "../random.ts";
import { validateFile, type ValidationReport } from "./validate.ts";
import { readWordSenses, type WordNetPos, type WordSense } from "./wordnet.ts";

/** Options for {@link buildDataset}; every field has a default. */
export interface BuildOptions {
  /** Output folder. Default `data`. */
  outDir?: string;
  /** Seed for every random choice. Default 42. */
  seed?: number;
  /** Words to define (the most commonly sense-tagged first). Default 6000. */
  definitions?: number;
  /** Example-sentence records. Default 2000. */
  examples?: number;
  /** Synonym records. Default 2000. */
  synonyms?: number;
  /** Fraction of records and of corpus documents held out for validation. Default 0.05. */
  valFraction?: number;
  /** Cap on the training corpus, in megabytes of UTF-8 (whole documents). Default: no cap. */
  corpusMaxMb?: number;
  /** Skip the corpus files. */
  skipCorpus?: boolean;
}

/** File names written into `outDir`. */
export const DATA_FILES = {
  instructionsTrain: "instructions.train.jsonl",
  instructionsVal: "instructions.val.jsonl",
  corpusTrain: "corpus.train.txt",
  corpusVal: "corpus.val.txt",
} as const;

/** What a build produced. */
export interface BuildSummary {
  seed: number;
  outDir: string;
  instructions: {
    train: number;
    val: number;
    bySource: { definition: number; example: number; synonym: number; conversation: number };
  };
  corpus?: { trainDocuments: number; valDocuments: number; trainBytes: number; valBytes: number };
  validation: { train: ValidationReport; val: ValidationReport };
}

const POS_NAMES: Record<WordNetPos, string> = { noun: "noun", verb: "verb", adj: "adjective", adv: "adverb" };

const DEFINE = [
  (w: string) => `Define the word "${w}".`,
  (w: string) => `What does "${w}" mean?`,
  (w: string) => `What is the meaning of "${w}"?`,
  (w: string) => `Can you tell me what "${w}" means?`,
  (w: string) => `Give a short definition of "${w}".`,
];
const USE = [
  (w: string) => `Use the word "${w}" in a sentence.`,
  (w: string) => `Give me an example sentence with "${w}".`,
  (w: string) => `How is "${w}" used in a sentence?`,
];
const SYNONYM = [
  (w: string) => `Give a synonym for "${w}".`,
  (w: string) => `What is another word for "${w}"?`,
  (w: string) => `Name a word that means the same as "${w}".`,
];

function sentence(text: string): string {
  const t = text.trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function quoteList(words: string[]): string {
  const q = words.map((w) => `"${w}"`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

interface Lemma {
  word: string;
  senses: WordSense[];
  tagCount: number;
  order: number;
}

/** Groups senses by word, keeping plain lowercase words of at most three parts, most common first. */
function lemmas(senses: WordSense[], rng: Rng): Lemma[] {
  const byWord = new Map<string, WordSense[]>();
  for (const s of senses) {
    if (!/^[a-z][a-z' -]*[a-z]$/.test(s.word) || s.word.split(" ").length > 3 || s.definition.length < 3) {
      continue;
    }
    const list = byWord.get(s.word);
    if (list) list.push(s);
    else byWord.set(s.word, [s]);
  }
  const out: Lemma[] = [];
  for (const [word, list] of byWord) {
    // Nouns first (the everyday reading of most words), then the other parts of speech by frequency.
    list.sort((a, b) => Number(b.pos === "noun") - Number(a.pos === "noun") || b.tagCount - a.tagCount);
    out.push({
      word,
      senses: list.slice(0, 2),
      tagCount: Math.max(...list.map((s) => s.tagCount)),
      order: 0,
    });
  }
  out.sort((a, b) => (a.word < b.word ? -1 : 1));
  for (const l of out) l.order = rng.next();
  return out.sort((a, b) => b.tagCount - a.tagCount || a.order - b.order);
}

/** The WordNet-derived instruction records for a seed (definitions, example sentences, synonyms). */
export async function wordnetRecords(
  seed: number,
  counts: { definitions: number; examples: number; synonyms: number },
  senses?: WordSense[],
): Promise<{ definition: AlpacaRecord[]; example: AlpacaRecord[]; synonym: AlpacaRecord[] }> {
  const rng = new Rng(seed);
  const all = lemmas(senses ?? await readWordSenses(), rng);
  const definition: AlpacaRecord[] = [];
  const example: AlpacaRecord[] = [];
  const synonym: AlpacaRecord[] = [];
  for (const lemma of all) {
    const w = lemma.word;
    if (definition.length < counts.definitions) {
      const [first, second] = lemma.senses;
      let output = `${w} (${POS_NAMES[first.pos]}): ${first.definition}.`;
      if (second && second.pos !== first.pos) {
        output += ` As ${second.pos === "adj" || second.pos === "adv" ? "an" : "a"} ${
          POS_NAMES[second.pos]
        }: ${second.definition}.`;
      }
      definition.push({ instruction: rng.pick(DEFINE)(w), input: "", output });
    }
    if (example.length < counts.examples) {
      const pattern = new RegExp(`\\b${w.replace(/[-']/g, "\\$&")}(?:s|es|d|ed|ing)?\\b`, "i");
      const found = lemma.senses.flatMap((s) => s.examples).find((e) =>
        e.split(" ").length >= 4 && pattern.test(e)
      );
      if (found) example.push({ instruction: rng.pick(USE)(w), input: "", output: sentence(found) });
    }
    if (synonym.length < counts.synonyms) {
      const words = lemma.senses[0].synonyms.filter((s) => /^[a-z][a-z' -]*$/i.test(s)).slice(0, 3);
      if (words.length > 0) {
        const output = words.length === 1
          ? `Another word for "${w}" is "${words[0]}".`
          : `Other words for "${w}" include ${quoteList(words)}.`;
        synonym.push({ instruction: rng.pick(SYNONYM)(w), input: "", output });
      }
    }
  }
  return { definition, example, synonym };
}

async function writeJsonl(path: string, records: AlpacaRecord[]): Promise<void> {
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

function splitDocuments(
  docs: CorpusDocument[],
  fraction: number,
  rng: Rng,
): { train: CorpusDocument[]; val: CorpusDocument[] } {
  const shuffled = rng.shuffle([...docs]);
  const valCount = Math.max(1, Math.round(docs.length * fraction));
  return { train: shuffled.slice(valCount), val: shuffled.slice(0, valCount) };
}

/** Builds every file into `outDir`, validates the instruction files, and returns a summary. */
export async function buildDataset(options: BuildOptions = {}): Promise<BuildSummary> {
  const seed = options.seed ?? 42;
  const outDir = options.outDir ?? "data";
  const fraction = options.valFraction ?? 0.05;
  if (!(fraction > 0 && fraction < 1)) throw new DataError("INVALID_OPTION", "valFraction must be in (0, 1)");
  await Deno.mkdir(outDir, { recursive: true });

  const sources = await wordnetRecords(seed, {
    definitions: options.definitions ?? 6000,
    examples: options.examples ?? 2000,
    synonyms: options.synonyms ?? 2000,
  });
  const conversation = conversationRecords(seed);
  const seen = new Set<string>();
  const records: AlpacaRecord[] = [];
  for (const r of [...sources.definition, ...sources.example, ...sources.synonym, ...conversation]) {
    const key = normalizeForDuplicates(r);
    if (seen.has(key)) continue;
    seen.add(key);
    records.push(r);
  }
  const rng = new Rng(seed ^ 0x9e3779b9);
  rng.shuffle(records);
  const valCount = Math.max(1, Math.round(records.length * fraction));
  const val = records.slice(0, valCount);
  const train = records.slice(valCount);
  const trainPath = `${outDir}/${DATA_FILES.instructionsTrain}`;
  const valPath = `${outDir}/${DATA_FILES.instructionsVal}`;
  await writeJsonl(trainPath, train);
  await writeJsonl(valPath, val);

  let corpus: BuildSummary["corpus"];
  if (!options.skipCorpus) {
    const corpusRng = new Rng(seed ^ 0x85ebca6b);
    const moby = splitDocuments(await readMobyDick(), fraction, corpusRng);
    const sotu = splitDocuments(await readStateOfTheUnion(), fraction, corpusRng);
    const encoder = new TextEncoder();
    const cap = options.corpusMaxMb === undefined ? Infinity : options.corpusMaxMb * 1e6;
    const trainDocs: CorpusDocument[] = [];
    let trainBytes = 0;
    // Interleave the two sources so a cap keeps both styles of English.
    const queue = [moby.train, sotu.train];
    for (let i = 0; trainBytes < cap && (i < moby.train.length || i < sotu.train.length); i++) {
      for (const list of queue) {
        const doc = list[i];
        if (doc === undefined) continue;
        const size = encoder.encode(doc.text).length + 2;
        if (trainBytes + size > cap) continue;
        trainDocs.push(doc);
        trainBytes += size;
      }
    }
    const valDocs = [...moby.val, ...sotu.val];
    const trainText = trainDocs.map((d) => d.text).join("\n\n") + "\n";
    const valText = valDocs.map((d) => d.text).join("\n\n") + "\n";
    await Deno.writeTextFile(`${outDir}/${DATA_FILES.corpusTrain}`, trainText);
    await Deno.writeTextFile(`${outDir}/${DATA_FILES.corpusVal}`, valText);
    corpus = {
      trainDocuments: trainDocs.length,
      valDocuments: valDocs.length,
      trainBytes: encoder.encode(trainText).length,
      valBytes: encoder.encode(valText).length,
    };
  }

  const validation = { train: await validateFile(trainPath), val: await validateFile(valPath) };
  for (const report of [validation.train, validation.val]) {
    if (!report.ok) {
      throw new DataError("BUILD_FAILED", `${report.path} failed validation: ${report.errorCount} errors`);
    }
  }
  return {
    seed,
    outDir,
    instructions: {
      train: train.length,
      val: val.length,
      bySource: {
        definition: sources.definition.length,
        example: sources.example.length,
        synonym: sources.synonym.length,
        conversation: conversation.length,
      },
    },
    corpus,
    validation,
  };
}
