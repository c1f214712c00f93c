/**
 * Block-level markdown parser: ATX and setext headings, paragraphs, fenced and indented code,
 * block quotes, ordered/unordered/nested/task lists, GFM tables and thematic breaks. Containers
 * (quotes, list items) collect their lines, strip their prefix and are parsed recursively.
 * Unfinished input (an unclosed fence while a reply streams) parses to something sensible.
 */
import type { Align, Block, ListItem } from "./ast.ts";
import { parseInline } from "./inline.ts";

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$/;
const SETEXT = /^ {0,3}(=+|-{2,})[ \t]*$/;
const TABLE_DELIM = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const TASK = /^\[([ xX])\](?:[ \t]+|$)/;

/** Parses markdown text into blocks. Never throws; any input yields some tree. */
export function parseMarkdown(text: string): Block[] {
  return parseBlocks(text.replace(/\r\n?/g, "\n").split("\n").map(expandTabs)).blocks;
}

/** Tabs in leading whitespace count to the next multiple of 4 columns. */
function expandTabs(line: string): string {
  if (!line.includes("\t")) return line;
  const lead = /^[ \t]*/.exec(line)![0];
  let col = 0;
  for (const ch of lead) col = ch === "\t" ? col + 4 - (col % 4) : col + 1;
  return " ".repeat(col) + line.slice(lead.length);
}

const isBlank = (line: string) => line.trim() === "";
const indentOf = (line: string) => line.length - line.trimStart().length;

/** Whether `line` starts a block that may interrupt a paragraph. */
function interrupts(line: string): boolean {
  if (FENCE.test(line) || ATX.test(line) || HR.test(line) || QUOTE.test(line)) return !isFakeFence(line);
  const m = LIST.exec(line);
  return m !== null && m[4].trim() !== "" && (/^[-*+]$/.test(m[2]) || /^1[.)]$/.test(m[2]));
}

function isFakeFence(line: string): boolean {
  const m = FENCE.exec(line);
  return m !== null && m[2][0] === "`" && m[3].includes("`");
}

type Parsed = { block: Block; next: number } | null;
type BlockParser = (lines: string[], i: number, depth: number) => Parsed;

/** Containers nested deeper than this are read as plain paragraphs (bounded recursion). */
const MAX_DEPTH = 16;

const PARSERS: BlockParser[] = [fencedCode, indentedCode, atxHeading, thematicBreak, blockquote, list, table];

/**
 * Parses the lines of a document (split on newlines, not yet tab-expanded) into top-level blocks and the
 * line index where each block starts (for the incremental parser, `incremental.ts`).
 */
export function parseTopLevel(rawLines: string[]): { blocks: Block[]; starts: number[] } {
  const starts: number[] = [];
  return { blocks: parseBlocks(rawLines.map(expandTabs), 0, starts).blocks, starts };
}

/** Parses lines into blocks; `gaps` tells whether blank lines separated two blocks (loose lists). */
function parseBlocks(lines: string[], depth = 0, starts?: number[]): { blocks: Block[]; gaps: boolean } {
  const blocks: Block[] = [];
  let gaps = false, blankSeen = false;
  let i = 0;
  while (i < lines.length) {
    if (isBlank(lines[i])) {
      blankSeen = blocks.length > 0;
      i++;
      continue;
    }
    let parsed: Parsed = null;
    for (const parser of PARSERS) if ((parsed = parser(lines, i, depth))) break;
    parsed ??= paragraph(lines, i);
    gaps ||= blankSeen;
    blankSeen = false;
    starts?.push(i);
    blocks.push(parsed.block);
    i = parsed.next;
  }
  return { blocks, gaps };
}

function fencedCode(lines: string[], i: number): Parsed {
  const m = FENCE.exec(lines[i]);
  if (!m || isFakeFence(lines[i])) return null;
  const [, indent, fence, info] = m;
  const close = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
  const body: string[] = [];
  let j = i + 1;
  for (; j < lines.length && !close.test(lines[j]); j++) {
    const strip = Math.min(indent.length, indentOf(lines[j]));
    body.push(lines[j].slice(strip));
  }
  const lang = info.trim().split(/\s+/)[0].replace(/\\(.)/g, "$1");
  const closed = j < lines.length;
  return { block: { type: "code", lang, text: body.join("\n"), closed }, next: closed ? j + 1 : j };
}

function indentedCode(lines: string[], i: number): Parsed {
  if (indentOf(lines[i]) < 4) return null;
  let last = i;
  let j = i;
  for (; j < lines.length && (isBlank(lines[j]) || indentOf(lines[j]) >= 4); j++) {
    if (!isBlank(lines[j])) last = j;
  }
  const text = lines.slice(i, last + 1).map((l) => l.slice(4)).join("\n");
  return { block: { type: "code", lang: "", text, closed: true }, next: last + 1 };
}

function atxHeading(lines: string[], i: number): Parsed {
  const m = ATX.exec(lines[i]);
  if (!m) return null;
  const content = (m[2] ?? "").replace(/(?:^|[ \t]+)#+$/, "").trim();
  const level = m[1].length as 1 | 2 | 3 | 4 | 5 | 6;
  return { block: { type: "heading", level, children: parseInline(content) }, next: i + 1 };
}

function thematicBreak(lines: string[], i: number): Parsed {
  return HR.test(lines[i]) ? { block: { type: "hr" }, next: i + 1 } : null;
}

/** The fence still open after `line` (null when none), given the one open before it. */
function fenceAfter(open: string | null, line: string): string | null {
  const m = FENCE.exec(line);
  if (!m) return open;
  if (open === null) return isFakeFence(line) ? null : m[2];
  return m[2][0] === open[0] && m[2].length >= open.length && m[3].trim() === "" ? null : open;
}

/** Whether `line` may continue the paragraph that ends a container's body (lazy continuation). */
function lazyContinues(last: string | undefined, openFence: string | null, line: string): boolean {
  return last !== undefined && !isBlank(last) && openFence === null && !isBlank(line) && !interrupts(line);
}

function blockquote(lines: string[], i: number, depth: number): Parsed {
  if (depth >= MAX_DEPTH || !QUOTE.test(lines[i])) return null;
  const body: string[] = [];
  let fence: string | null = null;
  let j = i;
  for (; j < lines.length; j++) {
    const m = QUOTE.exec(lines[j]);
    if (m) body.push(lines[j].slice(m[0].length));
    else if (lazyContinues(body[body.length - 1], fence, lines[j])) body.push(lines[j]);
    else break;
    fence = fenceAfter(fence, body[body.length - 1]);
  }
  return { block: { type: "blockquote", children: parseBlocks(body, depth + 1).blocks }, next: j };
}

interface Marker {
  indent: number;
  bullet: string;
  ordered: boolean;
  start: number;
  contentIndent: number;
  first: string;
}

function listMarker(line: string): Marker | null {
  if (HR.test(line)) return null;
  const m = LIST.exec(line);
  if (!m) return null;
  const [, indent, marker, spaces, rest] = m;
  const ordered = /\d/.test(marker[0]);
  const blank = rest === "";
  const wide = spaces.length > 4 && !blank;
  return {
    indent: indent.length,
    bullet: marker[marker.length - 1],
    ordered,
    start: ordered ? parseInt(marker, 10) : 1,
    contentIndent: indent.length + marker.length + (blank || wide ? 1 : spaces.length),
    first: wide ? " ".repeat(spaces.length - 1) + rest : rest,
  };
}

function list(lines: string[], i: number, depth: number): Parsed {
  const head = depth < MAX_DEPTH ? listMarker(lines[i]) : null;
  if (!head) return null;
  const items: ListItem[] = [];
  let loose = false;
  let j = i;
  let end = i + 1;
  while (j < lines.length) {
    const marker = listMarker(lines[j]);
    if (!marker || marker.ordered !== head.ordered || marker.bullet !== head.bullet) break;
    if (items.length > 0 && end < j) loose = true;
    const body = [marker.first];
    let fence = fenceAfter(null, marker.first);
    let k = j + 1;
    for (; k < lines.length; k++) {
      const line = lines[k];
      if (isBlank(line)) body.push("");
      else if (indentOf(line) >= marker.contentIndent) body.push(line.slice(marker.contentIndent));
      else if (!listMarker(line) && lazyContinues(body[body.length - 1], fence, line)) body.push(line);
      else break;
      fence = fenceAfter(fence, body[body.length - 1]);
    }
    while (body.length > 1 && isBlank(body[body.length - 1])) body.pop();
    end = j + body.length;
    const task = TASK.exec(body[0]);
    if (task) body[0] = body[0].slice(task[0].length);
    const parsed = parseBlocks(body, depth + 1);
    loose ||= parsed.gaps;
    items.push({ checked: task ? task[1] !== " " : null, children: parsed.blocks });
    j = k;
    if (end < j && !listMarker(lines[j] ?? "")) break;
  }
  return { block: { type: "list", ordered: head.ordered, start: head.start, loose, items }, next: end };
}

/** Splits a table row on unescaped pipes, dropping the optional outer pipes. */
function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = "";
  for (let k = 0; k < s.length; k++) {
    if (s[k] === "\\" && s[k + 1] === "|") {
      cell += "|";
      k++;
    } else if (s[k] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += s[k];
  }
  cells.push(cell.trim());
  return cells;
}

/** Whether lines[i] is a table header row followed by a matching delimiter row. */
function startsTable(lines: string[], i: number): boolean {
  const delim = lines[i + 1];
  if (delim === undefined || !lines[i].includes("|") || !delim.includes("|") || !TABLE_DELIM.test(delim)) {
    return false;
  }
  return splitRow(lines[i]).length === splitRow(delim).length;
}

function table(lines: string[], i: number): Parsed {
  if (!startsTable(lines, i)) return null;
  const align: Align[] = splitRow(lines[i + 1]).map((d) => {
    const left = d.startsWith(":"), right = d.endsWith(":");
    return left && right ? "center" : left ? "left" : right ? "right" : null;
  });
  const head = splitRow(lines[i]).map((cell) => parseInline(cell));
  const rows = [];
  let j = i + 2;
  for (; j < lines.length && !isBlank(lines[j]) && !interrupts(lines[j]); j++) {
    const cells = splitRow(lines[j]);
    rows.push(align.map((_, c) => parseInline(cells[c] ?? "")));
  }
  return { block: { type: "table", align, head, rows }, next: j };
}

function paragraph(lines: string[], i: number): { block: Block; next: number } {
  const body = [lines[i].trimStart()];
  let j = i + 1;
  for (; j < lines.length; j++) {
    const line = lines[j];
    if (isBlank(line)) break;
    const setext = SETEXT.exec(line);
    if (setext) {
      const level = setext[1][0] === "=" ? 1 : 2;
      return { block: { type: "heading", level, children: parseInline(body.join("\n")) }, next: j + 1 };
    }
    if (interrupts(line) || startsTable(lines, j)) break;
    body.push(line.trimStart());
  }
  return { block: { type: "paragraph", children: parseInline(body.join("\n").trimEnd()) }, next: j };
}
