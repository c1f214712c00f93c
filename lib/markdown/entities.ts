/** HTML character references: numeric ones and the named ones people actually type. */

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  copy: "©",
  reg: "®",
  trade: "™",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  bull: "•",
  middot: "·",
  deg: "°",
  times: "×",
  divide: "÷",
  plusmn: "±",
  larr: "←",
  rarr: "→",
  uarr: "↑",
  darr: "↓",
  euro: "€",
  pound: "£",
  yen: "¥",
  sect: "§",
  para: "¶",
  colon: ":",
  Tab: "\t",
  NewLine: "\n",
  lpar: "(",
  rpar: ")",
  sol: "/",
  bsol: "\\",
  num: "#",
  excl: "!",
};

/** Matches one character reference at `lastIndex` (sticky). */
export const ENTITY_RE = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z][A-Za-z0-9]{1,31}));/y;

/** Decodes the reference matched by `ENTITY_RE`, or returns null for an unknown name. */
export function decodeEntityMatch(m: RegExpExecArray): string | null {
  if (m[3] !== undefined) return NAMED[m[3]] ?? null;
  const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
  return String.fromCodePoint(code);
}

/** Replaces every known character reference in `s` by the character it names. */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(?:#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});/g, (ref) => {
    ENTITY_RE.lastIndex = 0;
    const m = ENTITY_RE.exec(ref);
    return (m && decodeEntityMatch(m)) ?? ref;
  });
}
