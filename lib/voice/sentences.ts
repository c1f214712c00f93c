/**
 * Splits a chat reply (Markdown) into speakable chunks for low-latency text-to-speech: the first
 * sentence can be synthesized and played while the next ones are still being synthesized.
 *
 * Fenced code blocks are not spoken; Markdown marks, link targets and list bullets are dropped;
 * a sentence ends at `.`, `!`, `?` or `…` followed by whitespace, except after abbreviations
 * ("Dr.", "e.g."), initials ("J. R. R."), and inside numbers ("3.14"). Chunks longer than
 * `maxChars` are cut at the last clause mark (`;`, `:`, `,`, dash) or space before the limit;
 * chunks shorter than `minChars` (after the first) are joined to the next one.
 *
 * Pure string code with no runtime APIs: runs in the server and in the browser.
 */

/** Options of {@link splitSentences}. */
export interface SplitOptions {
  /** Longest chunk, characters. Default 220. */
  maxChars?: number;
  /** Chunks shorter than this (except the first) join the next one. Default 24. */
  minChars?: number;
}

const DEFAULT_MAX = 220;
const DEFAULT_MIN = 24;

/** Abbreviations after which a period never ends a sentence. */
const NEVER_END = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "jr",
  "st",
  "mt",
  "vs",
  "cf",
  "approx",
  "fig",
  "figs",
  "eq",
  "no",
  "nos",
  "vol",
  "pp",
  "ch",
  "sec",
  "gen",
  "col",
  "capt",
  "lt",
  "sgt",
  "rev",
  "e.g",
  "i.e",
  "viz",
  "al",
]);

/** Abbreviations that end a sentence only when the next word is capitalized. */
const END_IF_CAPITAL = new Set([
  "etc",
  "inc",
  "ltd",
  "co",
  "corp",
  "a.m",
  "p.m",
  "jan",
  "feb",
  "mar",
  "apr",
  "jun",
  "jul",
  "aug",
  "sep",
  "sept",
  "oct",
  "nov",
  "dec",
  "u.s",
  "u.k",
  "e.u",
]);

const FENCE = /^\s{0,3}(```+|~~~+)/;
const LIST_OR_BLOCK = /^\s{0,3}(?:[-*+]\s+|\d{1,3}[.)]\s+|#{1,6}\s+|>\s?|\|)/;

/** Turns a Markdown reply into plain text with paragraph breaks (`\n\n`) between blocks. */
export function toSpeakableText(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const paragraphs: string[] = [];
  let current: string[] = [];
  let inFence: string | null = null;
  const endParagraph = () => {
    if (current.length) paragraphs.push(current.join(" "));
    current = [];
  };
  for (const raw of lines) {
    const fence = raw.match(FENCE);
    if (inFence) {
      if (fence && fence[1][0] === inFence[0] && fence[1].length >= inFence.length) inFence = null;
      continue;
    }
    if (fence) {
      endParagraph();
      inFence = fence[1];
      continue;
    }
    if (raw.trim() === "") {
      endParagraph();
      continue;
    }
    if (LIST_OR_BLOCK.test(raw)) {
      endParagraph();
      let line = raw.replace(LIST_OR_BLOCK, "");
      if (/^\s*\|/.test(raw)) {
        if (/^[\s|:-]+$/.test(raw)) continue; // table separator row
        line = raw.split("|").map((c) => c.trim()).filter(Boolean).join(", ");
      }
      current.push(line);
      endParagraph();
      continue;
    }
    current.push(raw.trim());
  }
  endParagraph();
  return paragraphs
    .map((p) =>
      p
        .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
        .replace(/`+/g, "")
        .replace(/(\*\*|__|~~)/g, "")
        .replace(/(^|[\s(])\*(?=\S)|(?<=\S)\*(?=[\s).,;:!?]|$)/g, "$1")
        .replace(/<\/?[a-zA-Z][^>]*>/g, "")
        .replace(/\s+/g, " ")
        .trim()
    )
    .filter((p) => p.length > 0)
    // A block without closing punctuation (list item, heading) still ends a spoken sentence.
    .map((p) => /[.!?…:;]["'”’)\]]*$/.test(p) ? p : `${p}.`)
    .join("\n\n");
}

function isSentenceEnd(text: string, dot: number, next: number): boolean {
  const mark = text[dot];
  if (mark !== ".") return true; // ! ? …
  if (text[dot - 1] === "." || text[dot + 1] === ".") return true; // ellipsis "..."
  // The word before the period, from the previous whitespace.
  let start = dot;
  while (start > 0 && !/\s/.test(text[start - 1])) start--;
  const word = text.slice(start, dot).replace(/^[("'“‘[]+/, "");
  const lower = word.toLowerCase();
  const nextChar = text[next];
  const nextIsCapital = nextChar !== undefined && /[A-Z0-9"“'‘(]/.test(nextChar);
  if (nextChar === undefined) return true;
  if (NEVER_END.has(lower)) return false;
  if (/^[A-Z]$/.test(word)) return false; // an initial: "J. R. R. Tolkien"
  if (END_IF_CAPITAL.has(lower)) return nextIsCapital;
  if (/^[a-z]\.[a-z]$/i.test(word) || /^([A-Za-z]\.)+[A-Za-z]$/.test(word)) return nextIsCapital; // "U.S." style
  return true;
}

/** Sentences of one paragraph, before length limits. */
function sentencesOf(paragraph: string): string[] {
  const out: string[] = [];
  let start = 0;
  const re = /[.!?…]+["'”’)\]]*(\s+|$)/g;
  for (let m = re.exec(paragraph); m; m = re.exec(paragraph)) {
    const end = m.index + m[0].length;
    // Position of the last terminator character in the match.
    const marks = m[0].match(/^[.!?…]+/)![0];
    const dot = m.index + marks.length - 1;
    if (!isSentenceEnd(paragraph, dot, end < paragraph.length ? end : paragraph.length)) continue;
    const sentence = paragraph.slice(start, end).trim();
    if (sentence) out.push(sentence);
    start = end;
  }
  const rest = paragraph.slice(start).trim();
  if (rest) out.push(rest);
  return out;
}

/** Cuts `text` into pieces of at most `max` characters at clause marks or spaces. */
function cutLong(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let cut = -1;
    for (const re of [/[;:—–](?=\s)/g, /,(?=\s)/g, /\s/g]) {
      for (const m of window.matchAll(re)) {
        if (m.index! > 0 && m.index! < max) cut = m.index! + (re.source === "\\s" ? 0 : 1);
      }
      if (cut > max / 3) break;
      cut = -1;
    }
    if (cut <= 0) cut = max;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * Splits a reply into chunks to synthesize one after another. Returns `[]` for a reply with
 * nothing speakable (e.g. only a code block).
 */
export function splitSentences(reply: string, options: SplitOptions = {}): string[] {
  const max = options.maxChars ?? DEFAULT_MAX;
  const min = options.minChars ?? DEFAULT_MIN;
  const pieces: string[] = [];
  for (const paragraph of toSpeakableText(reply).split("\n\n")) {
    for (const sentence of sentencesOf(paragraph)) pieces.push(...cutLong(sentence, max));
  }
  const chunks: string[] = [];
  let acc = "";
  for (const piece of pieces) {
    if (acc && chunks.length > 0 && acc.length < min && acc.length + 1 + piece.length <= max) {
      acc = `${acc} ${piece}`;
      continue;
    }
    if (acc) chunks.push(acc);
    acc = piece;
  }
  if (acc) chunks.push(acc);
  return chunks;
}

/**
 * The reply as few chunks as possible, each at most `maxChars` long, cut at sentence ends: what
 * one request per reply sends when sentence pipelining is off.
 */
export function packSentences(reply: string, maxChars: number): string[] {
  const out: string[] = [];
  for (const sentence of splitSentences(reply, { maxChars, minChars: 0 })) {
    const last = out.length - 1;
    if (last >= 0 && out[last].length + 1 + sentence.length <= maxChars) out[last] += ` ${sentence}`;
    else out.push(sentence);
  }
  return out;
}
