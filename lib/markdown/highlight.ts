/**
 * A small syntax highlighter: splits code into typed tokens (rendered as `<span class="tok-TYPE">`)
 * for js/ts/jsx/tsx, python, json, bash/sh, html/xml, css, sql, go, rust, c/cpp, java, yaml and diff;
 * any other language is one plain token. Each grammar is an ordered list of sticky regexes tried
 * at the current position; identifiers are then classified by word lists. Unterminated strings and
 * comments run to the end, so code that is still streaming highlights sensibly.
 */

/** What a token is; each maps to the CSS class `tok-<type>`. */
export type TokenType =
  | "comment"
  | "string"
  | "number"
  | "keyword"
  | "literal"
  | "type"
  | "builtin"
  | "function"
  | "operator"
  | "tag"
  | "attr"
  | "property"
  | "variable"
  | "meta"
  | "regex"
  | "inserted"
  | "deleted";

/** A run of source text; `type` null means plain text. The texts concatenate to the input. */
export interface Token {
  type: TokenType | null;
  text: string;
}

/** `ident` rules match a word that is classified by the grammar's word lists. */
type Rule = [TokenType | "ident" | null, RegExp];

interface Grammar {
  rules: Rule[];
  keywords?: Set<string>;
  literals?: Set<string>;
  types?: Set<string>;
  builtins?: Set<string>;
  /** Case-insensitive word lists (stored lowercase), as in SQL. */
  ignoreCase?: boolean;
  /** Capitalized words are types (class names in C-like languages). */
  capitalTypes?: boolean;
}

const words = (s: string) => new Set(s.split(" "));

const SPACE: Rule = [null, /\s+/y];
const C_COMMENTS: Rule[] = [["comment", /\/\/.*/y], ["comment", /\/\*[^]*?(?:\*\/|$)/y]];
const DQ_STRING: Rule = ["string", /"(?:[^"\\\n]|\\.)*"?/y];
const SQ_STRING: Rule = ["string", /'(?:[^'\\\n]|\\.)*'?/y];
const NUMBER: Rule = [
  "number",
  /(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)[a-zA-Z\d]*/y,
];
const IDENT: Rule = ["ident", /[A-Za-z_$][\w$]*/y];
const OPERATOR: Rule = ["operator", /[+\-*/%=&|^!<>?:~]+/y];

const JS_KEYWORDS = words(
  "break case catch class const continue debugger default delete do else export extends finally for function if import in instanceof let new return super switch this throw try typeof var void while with yield async await of static get set as from interface type enum implements namespace declare readonly private protected public abstract keyof infer satisfies is asserts override module",
);
const js: Grammar = {
  rules: [
    SPACE,
    ...C_COMMENTS,
    DQ_STRING,
    SQ_STRING,
    ["string", /`(?:[^`\\]|\\[^])*`?/y],
    [
      "regex",
      /(?<=(?:^|[=(,:;!&|?{}\[]|return|typeof)\s*)\/(?![*/])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[dgimsuvy]*/y,
    ],
    ["meta", /@[A-Za-z_]\w*/y],
    IDENT,
    NUMBER,
    OPERATOR,
  ],
  keywords: JS_KEYWORDS,
  literals: words("true false null undefined NaN Infinity"),
  types: words("string number boolean any unknown never object symbol bigint void"),
  builtins: words(
    "Array Object Promise Map Set WeakMap String Number Boolean Symbol JSON Math Date Error RegExp console window document globalThis Deno",
  ),
  capitalTypes: true,
};
const jsx: Grammar = {
  ...js,
  rules: [SPACE, ...C_COMMENTS, ["tag", /<\/?[A-Za-z][\w.:-]*|\/>/y], ...js.rules.slice(3)],
};

const python: Grammar = {
  rules: [
    SPACE,
    ["comment", /#.*/y],
    [
      "string",
      /(?:[rRbBuUfF]{1,2})?(?:"""[^]*?(?:"""|$)|'''[^]*?(?:'''|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)/y,
    ],
    ["meta", /@[A-Za-z_][\w.]*/y],
    IDENT,
    NUMBER,
    OPERATOR,
  ],
  keywords: words(
    "and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case",
  ),
  literals: words("True False None"),
  builtins: words(
    "print len range int str float list dict set tuple bool open enumerate zip map filter sorted reversed sum min max abs isinstance super type object self cls",
  ),
  capitalTypes: true,
};

const json: Grammar = {
  rules: [
    SPACE,
    ...C_COMMENTS,
    ["property", /"(?:[^"\\\n]|\\.)*"(?=\s*:)/y],
    DQ_STRING,
    ["number", /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
    IDENT,
  ],
  literals: words("true false null"),
};

const bash: Grammar = {
  rules: [
    SPACE,
    ["comment", /(?<![^\s;])#.*/y],
    ["string", /"(?:[^"\\]|\\[^])*"?/y],
    ["string", /'[^']*'?/y],
    ["variable", /\$(?:\{[^}\n]*\}?|[A-Za-z_]\w*|[0-9@#?$!*-])/y],
    ["attr", /(?<![\w-])--?[A-Za-z][\w-]*/y],
    ["ident", /[A-Za-z_][\w-]*/y],
    ["number", /\b\d+\b/y],
    ["operator", /&&|\|\||[|&;<>]+/y],
  ],
  keywords: words(
    "if then else elif fi for while until do done case esac function in return select time export local readonly declare unset",
  ),
  builtins: words(
    "echo cd pwd printf read source exit set test cat ls grep sed awk curl wget git npm npx node deno docker sudo mkdir rm cp mv chmod chown touch find xargs tar python pip apt apt-get make",
  ),
};

const css: Grammar = {
  rules: [
    SPACE,
    ["comment", /\/\*[^]*?(?:\*\/|$)/y],
    DQ_STRING,
    SQ_STRING,
    ["keyword", /@[\w-]+|!important\b/y],
    ["property", /-{0,2}[A-Za-z][\w-]*(?=\s*:[^;{}]*(?:[;}]|$))/y],
    ["number", /#[\da-fA-F]{3,8}\b(?=[^{]*[;}])/y],
    ["type", /[.#][A-Za-z_-][\w-]*/y],
    ["function", /[A-Za-z-][\w-]*(?=\()/y],
    ["number", /-?(?:\d*\.)?\d+(?:%|[A-Za-z]+)?/y],
    ["ident", /[A-Za-z_-][\w-]*/y],
    ["operator", /[>+~*=|^$]+/y],
  ],
};

const sql: Grammar = {
  rules: [
    SPACE,
    ["comment", /--.*/y],
    ["comment", /\/\*[^]*?(?:\*\/|$)/y],
    ["string", /[eE]?'(?:[^']|'')*'?/y],
    ["property", /"[^"\n]*"?|`[^`\n]*`?/y],
    ["variable", /[$:@?]\w+|\?/y],
    ["function", /[A-Za-z_]\w*(?=\()/y],
    IDENT,
    NUMBER,
    ["operator", /[+\-*/%=<>!|&~^:]+/y],
  ],
  keywords: words(
    "select from where and or not insert into values update set delete create table drop alter add column primary key foreign references index unique on join left right inner outer full cross as order by group having limit offset distinct union all exists in is like ilike between case when then else end returning with begin commit rollback transaction default constraint check if view trigger function returns language grant revoke cascade asc desc using conflict do nothing replace over partition",
  ),
  literals: words("null true false"),
  types: words(
    "int integer bigint smallint serial bigserial text varchar char boolean bool date time timestamp timestamptz interval uuid json jsonb numeric decimal real float double precision bytea",
  ),
  ignoreCase: true,
};

const go: Grammar = {
  rules: [SPACE, ...C_COMMENTS, DQ_STRING, ["string", /`[^`]*`?/y], SQ_STRING, IDENT, NUMBER, OPERATOR],
  keywords: words(
    "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var",
  ),
  literals: words("true false nil iota"),
  types: words(
    "bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any",
  ),
  builtins: words("append cap close copy delete len make new panic print println recover"),
  capitalTypes: false,
};

const rust: Grammar = {
  rules: [
    SPACE,
    ...C_COMMENTS,
    ["meta", /#!?\[[^\]\n]*\]?/y],
    ["string", /b?r(#*)"[^]*?(?:"\1|$)/y],
    ["string", /b?"(?:[^"\\]|\\[^])*"?/y],
    ["string", /b?'(?:[^'\\\n]|\\.[^'\n]*)'/y],
    ["variable", /'[A-Za-z_]\w*/y],
    ["function", /[A-Za-z_]\w*!(?=\s*[(\[{])/y],
    IDENT,
    NUMBER,
    OPERATOR,
  ],
  keywords: words(
    "as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while",
  ),
  literals: words("true false"),
  types: words("i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str"),
  capitalTypes: true,
};

const C_TYPES = "void char short int long float double signed unsigned bool size_t auto";
const c: Grammar = {
  rules: [
    SPACE,
    ...C_COMMENTS,
    ["meta", /#\s*[a-z]+(?:\s*<[^>\n]*>)?/y],
    DQ_STRING,
    SQ_STRING,
    IDENT,
    NUMBER,
    OPERATOR,
  ],
  keywords: words(
    "break case const continue default do else enum extern for goto if inline register return sizeof static struct switch typedef union volatile while class namespace template typename public private protected virtual override new delete this using try catch throw constexpr nullptr_t",
  ),
  literals: words("true false NULL nullptr"),
  types: words(
    C_TYPES + " int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t std string vector",
  ),
};

const java: Grammar = {
  rules: [SPACE, ...C_COMMENTS, ["meta", /@[A-Za-z_]\w*/y], DQ_STRING, SQ_STRING, IDENT, NUMBER, OPERATOR],
  keywords: words(
    "abstract assert break case catch class continue default do else enum extends final finally for if implements import instanceof interface native new package private protected public return static super switch synchronized this throw throws transient try var void volatile while record",
  ),
  literals: words("true false null"),
  types: words("boolean byte char short int long float double"),
  capitalTypes: true,
};

const yaml: Grammar = {
  rules: [
    SPACE,
    ["comment", /(?<![^\s])#.*/y],
    ["property", /[\w.-]+(?=\s*:(?:\s|$))/y],
    DQ_STRING,
    SQ_STRING,
    ["meta", /---|\.\.\.|[&*][\w-]+|![\w!]*/y],
    ["number", /-?\d+(?:\.\d+)?\b/y],
    IDENT,
    ["operator", /[-:|>?]/y],
  ],
  literals: words("true false null yes no on off True False Null"),
};

const diff: Grammar = {
  rules: [
    ["meta", /^(?:@@.*|diff .*|index .*|\+\+\+ .*|--- .*)/my],
    ["inserted", /^\+.*/my],
    ["deleted", /^-.*/my],
    [null, /.+\n?|\n/y],
  ],
};

const GRAMMARS: Record<string, Grammar | "markup"> = {
  js,
  javascript: js,
  mjs: js,
  cjs: js,
  ts: js,
  typescript: js,
  jsx,
  tsx: jsx,
  python,
  py: python,
  json,
  jsonc: json,
  json5: json,
  bash,
  sh: bash,
  shell: bash,
  zsh: bash,
  console: bash,
  html: "markup",
  xml: "markup",
  svg: "markup",
  xhtml: "markup",
  css,
  scss: css,
  less: css,
  sql,
  postgresql: sql,
  postgres: sql,
  go,
  golang: go,
  rust,
  rs: rust,
  c,
  h: c,
  cpp: c,
  "c++": c,
  cc: c,
  hpp: c,
  java,
  kotlin: java,
  yaml,
  yml: yaml,
  diff,
  patch: diff,
};

/** Whether `lang` (a fence info word, case-insensitive) has a grammar. */
export function supportsLanguage(lang: string): boolean {
  return Object.hasOwn(GRAMMARS, lang.toLowerCase());
}

/** Splits `code` into tokens for `lang` (case-insensitive); unknown languages give one plain token. */
export function highlight(code: string, lang: string): Token[] {
  const key = lang.toLowerCase();
  const grammar = Object.hasOwn(GRAMMARS, key) ? GRAMMARS[key] : undefined;
  if (!grammar || code === "") return code === "" ? [] : [{ type: null, text: code }];
  const out = new TokenList();
  if (grammar === "markup") lexMarkup(code, out);
  else lex(code, 0, code.length, grammar, out);
  return out.tokens;
}

/** Collects tokens, merging neighbours of the same type. */
class TokenList {
  tokens: Token[] = [];
  push(type: TokenType | null, text: string): void {
    const last = this.tokens[this.tokens.length - 1];
    if (last && last.type === type) last.text += text;
    else this.tokens.push({ type, text });
  }
}

function lex(code: string, from: number, to: number, g: Grammar, out: TokenList): void {
  const src = to === code.length ? code : code.slice(0, to);
  let pos = from;
  next: while (pos < to) {
    for (const [type, re] of g.rules) {
      re.lastIndex = pos;
      const m = re.exec(src);
      if (!m || m[0].length === 0) continue;
      out.push(type === "ident" ? classify(m[0], src, pos + m[0].length, g) : type, m[0]);
      pos += m[0].length;
      continue next;
    }
    out.push(null, src[pos++]);
  }
}

function classify(word: string, src: string, end: number, g: Grammar): TokenType | null {
  const w = g.ignoreCase ? word.toLowerCase() : word;
  if (g.keywords?.has(w)) return "keyword";
  if (g.literals?.has(w)) return "literal";
  if (g.types?.has(w)) return "type";
  if (g.builtins?.has(w)) return "builtin";
  if (/^\s*(?:<[^<>()]*>\s*)?\(/.test(src.slice(end, end + 40))) return "function";
  if (g.capitalTypes && /^[A-Z](?:[a-z]|$)/.test(word)) return "type";
  return null;
}

const MARKUP_SPECIAL = /<!--[^]*?(?:-->|$)|<!\[CDATA\[[^]*?(?:\]\]>|$)|<[!?][^>]*>?|<\/?[A-Za-z][\w:.-]*/g;
const MARKUP_ATTR: Rule[] = [
  SPACE,
  ["string", /(?<==\s*)[^\s"'>=]+/y],
  ["attr", /[^\s"'>\/=]+/y],
  [null, /=/y],
  ["string", /"[^"]*"?|'[^']*'?/y],
];

/** HTML/XML: tags, attributes, comments; `<script>` and `<style>` bodies use the js/css grammars. */
function lexMarkup(code: string, out: TokenList): void {
  let pos = 0;
  while (pos < code.length) {
    MARKUP_SPECIAL.lastIndex = pos;
    const m = MARKUP_SPECIAL.exec(code);
    if (!m) {
      out.push(null, code.slice(pos));
      return;
    }
    if (m.index > pos) out.push(null, code.slice(pos, m.index));
    pos = m.index + m[0].length;
    if (m[0].startsWith("<!--")) {
      out.push("comment", m[0]);
      continue;
    }
    if (m[0][1] === "!" || m[0][1] === "?") {
      out.push("meta", m[0]);
      continue;
    }
    out.push("tag", m[0]);
    // Attributes until `>` or `/>`.
    attrs: while (pos < code.length) {
      if (code.startsWith("/>", pos) || code[pos] === ">") {
        const close = code[pos] === ">" ? ">" : "/>";
        out.push("tag", close);
        pos += close.length;
        break;
      }
      for (const [type, re] of MARKUP_ATTR) {
        re.lastIndex = pos;
        const a = re.exec(code);
        if (a && a[0].length > 0) {
          out.push(type as TokenType | null, a[0]);
          pos += a[0].length;
          continue attrs;
        }
      }
      out.push(null, code[pos++]);
    }
    const name = m[0].slice(1).toLowerCase();
    if ((name === "script" || name === "style") && code[pos - 1] === ">") {
      const end = code.toLowerCase().indexOf(`</${name}`, pos);
      const stop = end < 0 ? code.length : end;
      lex(code, pos, stop, name === "script" ? js : css, out);
      pos = stop;
    }
  }
}
