/**
 * Inline markdown: code spans, emphasis/strong/strikethrough (CommonMark delimiter rules), links,
 * images, autolinks (`<...>` and bare `https://` / `www.` URLs), escapes, character references
 * and hard breaks. Anything that does not parse stays literal text, so raw HTML is just text.
 */
import type { Inline } from "./ast.ts";
import { decodeEntities, decodeEntityMatch, ENTITY_RE } from "./entities.ts";

/** An emphasis delimiter run waiting to be matched. */
interface Delim {
  type: "delim";
  char: "*" | "_" | "~";
  count: number;
  orig: number;
  canOpen: boolean;
  canClose: boolean;
}
type Item = Inline | Delim;

const SPECIAL = /[\\`*_~!\[<&\n]|https?:\/\/|www\./g;
const ASCII_PUNCT = /^[!-\/:-@\[-`{-~]$/;
const PUNCT = /[\p{P}\p{S}]/u;
const SPACE = /\s/u;
const AUTOLINK = /<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>/y;
const EMAIL =
  /<([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>/y;
const BARE_URL = /(?:https?:\/\/|www\.)[A-Za-z0-9][^\s<]*/y;
const ANGLE_DEST = /<((?:[^<>\n\\]|\\.){0,2048})>/y;
/** Bounds that keep pathological input linear-ish: label nesting, emphasis nesting, link sizes. */
const MAX_LABEL_DEPTH = 4;
const MAX_EMPHASIS_DEPTH = 32;
const MAX_DEST = 2048;
const MAX_TITLE = 1024;

/**
 * Parses the inline content of one block. Inside a link label (`inLink`), links and autolinks
 * are not recognized, so links never nest; `depth` counts enclosing labels.
 */
export function parseInline(src: string, inLink = false, depth = 0): Inline[] {
  const items: Item[] = [];
  let brackets: Map<number, number> | undefined;
  let buf = "";
  const flush = () => {
    if (buf) items.push({ type: "text", value: buf });
    buf = "";
  };
  const n = src.length;
  let i = 0;
  while (i < n) {
    SPECIAL.lastIndex = i;
    const m = SPECIAL.exec(src);
    if (!m) {
      buf += src.slice(i);
      break;
    }
    buf += src.slice(i, m.index);
    i = m.index;
    const c = src[i];
    if (c === "\\") {
      const next = src[i + 1];
      if (next === "\n") {
        buf = buf.trimEnd();
        flush();
        items.push({ type: "break" });
        i += 2;
      } else if (next !== undefined && ASCII_PUNCT.test(next)) {
        buf += next;
        i += 2;
      } else {
        buf += c;
        i++;
      }
    } else if (c === "`") {
      let k = i;
      while (src[k] === "`") k++;
      const close = findBacktickRun(src, k, k - i);
      if (close < 0) {
        buf += src.slice(i, k);
        i = k;
        continue;
      }
      let code = src.slice(k, close).replace(/\n/g, " ");
      if (/^ [^]* $/.test(code) && /[^ ]/.test(code)) code = code.slice(1, -1);
      flush();
      items.push({ type: "inlineCode", value: code });
      i = close + (k - i);
    } else if (c === "*" || c === "_" || c === "~") {
      let k = i;
      while (src[k] === c) k++;
      if (c === "~" && k - i > 2) {
        buf += src.slice(i, k);
        i = k;
        continue;
      }
      flush();
      items.push(delimiter(src, i, k, c));
      i = k;
    } else if (c === "[" || (c === "!" && src[i + 1] === "[")) {
      const image = c === "!";
      const allowed = (image || !inLink) && depth < MAX_LABEL_DEPTH;
      const link = allowed ? parseLink(src, image ? i + 1 : i, brackets ??= matchBrackets(src)) : null;
      if (!link) {
        buf += c;
        i++;
        continue;
      }
      flush();
      if (image) {
        items.push({
          type: "image",
          src: link.dest,
          alt: plainText(parseInline(link.label, true, depth + 1)),
          ...link.title,
        });
      } else {
        items.push({
          type: "link",
          href: link.dest,
          ...link.title,
          children: parseInline(link.label, true, depth + 1),
        });
      }
      i = link.end;
    } else if (c === "<" && !inLink) {
      AUTOLINK.lastIndex = EMAIL.lastIndex = i;
      const auto = AUTOLINK.exec(src);
      const email = auto ? null : EMAIL.exec(src);
      const found = auto ?? email;
      if (!found) {
        buf += c;
        i++;
        continue;
      }
      flush();
      const href = email ? "mailto:" + found[1] : found[1];
      items.push({ type: "link", href, children: [{ type: "text", value: found[1] }] });
      i += found[0].length;
    } else if (c === "&") {
      ENTITY_RE.lastIndex = i;
      const ref = ENTITY_RE.exec(src);
      const decoded = ref && decodeEntityMatch(ref);
      buf += decoded ?? c;
      i += decoded !== null && ref ? ref[0].length : 1;
    } else if (c === "\n") {
      let spaces = 0;
      while (buf[buf.length - 1 - spaces] === " ") spaces++;
      buf = buf.slice(0, buf.length - spaces);
      if (spaces >= 2) {
        flush();
        items.push({ type: "break" });
      } else buf += "\n";
      i++;
    } else {
      // `http://`, `https://` or `www.`: a bare URL when it starts a word.
      const url = !inLink && (i === 0 || /[\s*_~(]/.test(src[i - 1])) ? bareUrl(src, i) : null;
      if (!url) {
        buf += c;
        i++;
        continue;
      }
      flush();
      const href = url.startsWith("www.") ? "http://" + url : url;
      items.push({ type: "link", href, children: [{ type: "text", value: url }] });
      i += url.length;
    }
  }
  flush();
  return resolveEmphasis(items);
}

/** The text content of inline nodes (used for image alt text). */
export function plainText(nodes: Inline[]): string {
  let out = "";
  for (const node of nodes) {
    if (node.type === "text" || node.type === "inlineCode") out += node.value;
    else if (node.type === "image") out += node.alt;
    else if (node.type === "break") out += "\n";
    else out += plainText(node.children);
  }
  return out;
}

function findBacktickRun(src: string, from: number, len: number): number {
  let at = src.indexOf("`", from);
  while (at >= 0) {
    let end = at;
    while (src[end] === "`") end++;
    if (end - at === len) return at;
    at = src.indexOf("`", end);
  }
  return -1;
}

/** Classifies a delimiter run by the CommonMark left-/right-flanking rules. */
function delimiter(src: string, start: number, end: number, char: "*" | "_" | "~"): Delim {
  const before = start > 0 ? src[start - 1] : " ";
  const after = end < src.length ? src[end] : " ";
  const spaceBefore = SPACE.test(before), spaceAfter = SPACE.test(after);
  const punctBefore = PUNCT.test(before), punctAfter = PUNCT.test(after);
  const left = !spaceAfter && (!punctAfter || spaceBefore || punctBefore);
  const right = !spaceBefore && (!punctBefore || spaceAfter || punctAfter);
  const count = end - start;
  if (char === "_") {
    return {
      type: "delim",
      char,
      count,
      orig: count,
      canOpen: left && (!right || punctBefore),
      canClose: right && (!left || punctAfter),
    };
  }
  return { type: "delim", char, count, orig: count, canOpen: left, canClose: right };
}

interface LinkParts {
  label: string;
  dest: string;
  title: { title?: string };
  end: number;
}

/** Pairs each `[` with its balanced `]`, skipping escapes and code spans (one pass). */
function matchBrackets(src: string): Map<number, number> {
  const pairs = new Map<number, number>();
  const open: number[] = [];
  for (let k = 0; k < src.length; k++) {
    const ch = src[k];
    if (ch === "\\") k++;
    else if (ch === "`") {
      let end = k;
      while (src[end] === "`") end++;
      const close = findBacktickRun(src, end, end - k);
      k = close < 0 ? end - 1 : close + (end - k) - 1;
    } else if (ch === "[") open.push(k);
    else if (ch === "]" && open.length > 0) pairs.set(open.pop()!, k);
  }
  return pairs;
}

/** Parses `[label](destination "title")` starting at the `[`; null when it is not a link. */
function parseLink(src: string, open: number, brackets: Map<number, number>): LinkParts | null {
  const n = src.length;
  const j = brackets.get(open);
  if (j === undefined || src[j + 1] !== "(") return null;
  let p = skipSpace(src, j + 2);
  let dest: string;
  if (src[p] === "<") {
    ANGLE_DEST.lastIndex = p;
    const m = ANGLE_DEST.exec(src);
    if (!m) return null;
    dest = m[1];
    p += m[0].length;
  } else {
    const start = p;
    let parens = 0;
    for (; p < n; p++) {
      if (p - start > MAX_DEST) return null;
      const ch = src[p];
      if (ch === "\\" && ASCII_PUNCT.test(src[p + 1] ?? "")) p++;
      else if (ch <= " ") break;
      else if (ch === "(") parens++;
      else if (ch === ")" && parens-- === 0) break;
    }
    dest = src.slice(start, p);
  }
  const afterDest = p;
  p = skipSpace(src, p);
  let title: string | undefined;
  const quote = src[p];
  if (p > afterDest && (quote === '"' || quote === "'" || quote === "(")) {
    const closer = quote === "(" ? ")" : quote;
    let k = p + 1;
    while (k < n && src[k] !== closer && k - p < MAX_TITLE) k += src[k] === "\\" ? 2 : 1;
    if (k >= n || src[k] !== closer) return null;
    title = unescape(src.slice(p + 1, k));
    p = skipSpace(src, k + 1);
  }
  if (src[p] !== ")") return null;
  return {
    label: src.slice(open + 1, j),
    dest: unescape(dest),
    title: title === undefined ? {} : { title },
    end: p + 1,
  };
}

function skipSpace(src: string, p: number): number {
  while (src[p] === " " || src[p] === "\t" || src[p] === "\n") p++;
  return p;
}

/** Removes backslash escapes and decodes character references (link destinations, titles). */
function unescape(s: string): string {
  return decodeEntities(s.replace(/\\([!-\/:-@\[-`{-~])/g, "$1"));
}

/** A GFM bare URL starting at `i`, without trailing punctuation or an unbalanced `)`. */
function bareUrl(src: string, i: number): string | null {
  BARE_URL.lastIndex = i;
  const m = BARE_URL.exec(src);
  if (!m) return null;
  let url = m[0];
  for (let prev = ""; prev !== url;) {
    prev = url;
    url = url.replace(/[?!.,:*_~'";]+$/, "").replace(/&[A-Za-z0-9]+;$/, "");
    if (url.endsWith(")") && count(url, "(") < count(url, ")")) url = url.slice(0, -1);
  }
  return /[A-Za-z0-9]/.test(url.replace(/^(?:https?:\/\/|www\.)/, "")) ? url : null;
}

function count(s: string, ch: string): number {
  let c = 0;
  for (const x of s) if (x === ch) c++;
  return c;
}

/** Matches delimiter runs into em/strong/del nodes (CommonMark "process emphasis"). */
function resolveEmphasis(items: Item[]): Inline[] {
  const depthOf = new WeakMap<Inline, number>();
  // Per closer kind: highest index at or below which no opener can match (CommonMark's
  // openers_bottom). Items at or below index o-1 never move when a match at opener o splices.
  const bottom = new Map<string, number>();
  for (let c = 0; c < items.length; c++) {
    const closer = items[c];
    if (closer.type !== "delim" || !closer.canClose) continue;
    const key = closer.char + Number(closer.canOpen) + (closer.orig % 3);
    const floor = bottom.get(key) ?? -1;
    let o = c - 1;
    for (; o > floor; o--) {
      const op = items[o];
      if (op.type !== "delim" || op.char !== closer.char || !op.canOpen) continue;
      if (closer.char === "~") {
        if (op.count === closer.count) break;
        continue;
      }
      const oddMatch = (op.canClose || closer.canOpen) && (op.orig + closer.orig) % 3 === 0 &&
        (op.orig % 3 !== 0 || closer.orig % 3 !== 0);
      if (!oddMatch) break;
    }
    let depth = 1;
    for (let k = o + 1; k < c && o > floor; k++) {
      depth = Math.max(depth, 1 + (depthOf.get(items[k] as Inline) ?? 0));
    }
    // Openers further out would nest even deeper, so "too deep" means "no opener".
    if (o <= floor || depth > MAX_EMPHASIS_DEPTH) {
      bottom.set(key, c - 1);
      continue;
    }
    const opener = items[o] as Delim;
    const use = closer.char === "~" ? closer.count : closer.count >= 2 && opener.count >= 2 ? 2 : 1;
    const type = closer.char === "~" ? "del" : use === 2 ? "strong" : "em";
    const node: Inline = { type, children: toInlines(items.slice(o + 1, c)) };
    depthOf.set(node, depth);
    items.splice(o + 1, c - o - 1, node);
    c = o + 2;
    opener.count -= use;
    closer.count -= use;
    if (opener.count === 0) {
      items.splice(o, 1);
      c--;
    }
    if (closer.count === 0) items.splice(c, 1);
    c--;
    for (const [k, b] of bottom) if (b >= o) bottom.set(k, o - 1);
  }
  return toInlines(items);
}

/** Turns unmatched delimiters back into text and merges adjacent text nodes. */
function toInlines(items: Item[]): Inline[] {
  const out: Inline[] = [];
  for (const item of items) {
    const node: Inline = item.type === "delim" ? { type: "text", value: item.char.repeat(item.count) } : item;
    const last = out[out.length - 1];
    if (node.type === "text" && last?.type === "text") {
      out[out.length - 1] = { type: "text", value: last.value + node.value };
    } else out.push(node);
  }
  return out;
}
