import { deepEqual, equal, ok } from "node:assert/strict";
import { highlight, supportsLanguage, type Token, type TokenType } from "../../lib/markdown/mod.ts";

/** The texts of the tokens of one type, in order. */
function of(tokens: Token[], type: TokenType): string[] {
  return tokens.filter((t) => t.type === type).map((t) => t.text);
}

const SAMPLES: Record<string, string> = {
  ts: `import { x } from "./x.ts";
// line comment
/* block */ const re = /a[/]b/g, n = 0x1F + 1.5e3;
export async function f<T>(a: string, b = \`t\${a}\`): Promise<T> { return await g(a) as T; }
@decorator class Foo extends Bar {}`,
  tsx: `const el = <Button kind="primary" onClick={() => go(1)}>Hi</Button>;`,
  python: `@dataclass
class Point:
    """Doc string."""
    def norm(self, p=2.0) -> float:  # comment
        return (self.x ** p + self.y ** p) ** (1 / p) if True else None
print(f"{x!r}", b'bytes', r'\\d')`,
  json: `{"name": "mini", "n": -1.5e2, "ok": true, "none": null, "list": [1, 2]}`,
  bash: `#!/bin/bash
# comment
export NAME="world $USER"; echo 'hi' --flag -x | grep -v foo && exit 1
for f in *.ts; do deno fmt "$f"; done`,
  html: `<!DOCTYPE html>
<!-- comment -->
<div class="a" data-x='y' hidden>text &amp; more<br/></div>
<script>const a = 1;</script><style>p { color: red; }</style>`,
  css:
    `/* c */ @media (max-width: 600px) { .btn:hover, #id > a { color: #fff; margin: 0 auto !important; width: calc(100% - 2px); } }`,
  sql: `SELECT id, count(*) AS n FROM "users" WHERE name ILIKE 'a''b%' AND age > $1 -- comment
GROUP BY id ORDER BY n DESC LIMIT 10;`,
  go: `package main
import "fmt"
func main() { var s []string = nil; fmt.Println(len(s), \`raw\`, 'r', 42) }`,
  rust: `#[derive(Debug)]
fn longest<'a>(x: &'a str) -> Option<String> { println!("{}", x); let c = 'c'; Some(r#"raw"#.to_string()) }`,
  c: `#include <stdio.h>
int main(void) { printf("%d\\n", sizeof(int)); return 0; }`,
  java: `@Override public static void main(String[] args) { System.out.println("hi"); }`,
  yaml: `# comment
name: mini
on: [push]
jobs:
  test: { runs-on: ubuntu-latest, steps: 3 }`,
  diff: `diff --git a/x b/x
@@ -1,2 +1,2 @@
-old line
+new line
 same`,
};

Deno.test("highlight: tokens concatenate back to the input for every language", () => {
  for (const [lang, code] of Object.entries(SAMPLES)) {
    const tokens = highlight(code, lang);
    equal(tokens.map((t) => t.text).join(""), code, lang);
    ok(tokens.some((t) => t.type !== null), `${lang} has typed tokens`);
    for (let i = 1; i < tokens.length; i++) {
      ok(tokens[i].type !== tokens[i - 1].type, `${lang}: merged neighbours`);
    }
  }
});

Deno.test("highlight: typescript / tsx", () => {
  const t = highlight(SAMPLES.ts, "typescript");
  deepEqual(of(t, "comment"), ["// line comment", "/* block */"]);
  deepEqual(of(t, "string"), ['"./x.ts"', "`t${a}`"]);
  deepEqual(of(t, "regex"), ["/a[/]b/g"]);
  deepEqual(of(t, "number"), ["0x1F", "1.5e3"]);
  deepEqual(of(t, "function"), ["f", "g"]);
  deepEqual(of(t, "meta"), ["@decorator"]);
  ok(of(t, "keyword").includes("async") && of(t, "keyword").includes("extends"));
  deepEqual(of(t, "type"), ["T", "string", "T", "T", "Foo", "Bar"]);
  deepEqual(of(t, "builtin"), ["Promise"]);
  const x = highlight(SAMPLES.tsx, "tsx");
  deepEqual(of(x, "tag"), ["<Button", "</Button"]);
  deepEqual(of(x, "string"), ['"primary"']);
});

Deno.test("highlight: python", () => {
  const t = highlight(SAMPLES.python, "py");
  deepEqual(of(t, "meta"), ["@dataclass"]);
  deepEqual(of(t, "string"), ['"""Doc string."""', 'f"{x!r}"', "b'bytes'", "r'\\d'"]);
  deepEqual(of(t, "comment"), ["# comment"]);
  deepEqual(of(t, "literal"), ["True", "None"]);
  deepEqual(of(t, "keyword"), ["class", "def", "return", "if", "else"]);
  deepEqual(of(t, "function"), ["norm"]);
});

Deno.test("highlight: json keys, strings, numbers, literals", () => {
  const t = highlight(SAMPLES.json, "json");
  deepEqual(of(t, "property"), ['"name"', '"n"', '"ok"', '"none"', '"list"']);
  deepEqual(of(t, "string"), ['"mini"']);
  deepEqual(of(t, "number"), ["-1.5e2", "1", "2"]);
  deepEqual(of(t, "literal"), ["true", "null"]);
});

Deno.test("highlight: bash", () => {
  const t = highlight(SAMPLES.bash, "sh");
  deepEqual(of(t, "comment"), ["#!/bin/bash", "# comment"]);
  deepEqual(of(t, "string"), ['"world $USER"', "'hi'", '"$f"']);
  deepEqual(of(t, "attr"), ["--flag", "-x", "-v"]);
  deepEqual(of(t, "keyword"), ["export", "for", "in", "do", "done"]);
  ok(of(t, "builtin").includes("echo") && of(t, "builtin").includes("deno"));
});

Deno.test("highlight: html with embedded script and style", () => {
  const t = highlight(SAMPLES.html, "html");
  deepEqual(of(t, "meta"), ["<!DOCTYPE html>"]);
  deepEqual(of(t, "comment"), ["<!-- comment -->"]);
  deepEqual(of(t, "attr"), ["class", "data-x", "hidden"]);
  deepEqual(of(t, "string"), ['"a"', "'y'"]);
  deepEqual(of(t, "keyword"), ["const"]);
  deepEqual(of(t, "property"), ["color"]);
  const tags = of(t, "tag").join(" ");
  ok(tags.includes("<script>") && tags.includes("<br/>") && tags.includes("</style>"), tags);
});

Deno.test("highlight: css, sql, go, rust", () => {
  const css = highlight(SAMPLES.css, "css");
  deepEqual(of(css, "property"), ["color", "margin", "width"]);
  deepEqual(of(css, "keyword"), ["@media", "!important"]);
  deepEqual(of(css, "type"), [".btn", "#id"]);
  deepEqual(of(css, "function"), ["calc"]);
  ok(of(css, "number").includes("#fff") && of(css, "number").includes("100%"));

  const sql = highlight(SAMPLES.sql, "SQL");
  deepEqual(of(sql, "keyword"), [
    "SELECT",
    "AS",
    "FROM",
    "WHERE",
    "ILIKE",
    "AND",
    "GROUP",
    "BY",
    "ORDER",
    "BY",
    "DESC",
    "LIMIT",
  ]);
  deepEqual(of(sql, "string"), ["'a''b%'"]);
  deepEqual(of(sql, "property"), ['"users"']);
  deepEqual(of(sql, "variable"), ["$1"]);
  deepEqual(of(sql, "function"), ["count"]);

  const go = highlight(SAMPLES.go, "go");
  deepEqual(of(go, "string"), ['"fmt"', "`raw`", "'r'"]);
  deepEqual(of(go, "literal"), ["nil"]);
  deepEqual(of(go, "builtin"), ["len"]);

  const rust = highlight(SAMPLES.rust, "rust");
  deepEqual(of(rust, "meta"), ["#[derive(Debug)]"]);
  deepEqual(of(rust, "variable"), ["'a", "'a"]);
  deepEqual(of(rust, "string"), ['"{}"', "'c'", 'r#"raw"#']);
  deepEqual(of(rust, "function"), ["longest", "println!", "Some", "to_string"]);
});

Deno.test("highlight: unknown languages and empty code stay plain", () => {
  deepEqual(highlight("a < b", "brainfuck"), [{ type: null, text: "a < b" }]);
  deepEqual(highlight("", "ts"), []);
  ok(supportsLanguage("TSX") && supportsLanguage("c++") && !supportsLanguage("cobol"));
  ok(!supportsLanguage("constructor") && !supportsLanguage("__proto__"));
});

Deno.test("highlight: unterminated strings and comments run to the end", () => {
  deepEqual(highlight('x = "abc', "js"), [
    { type: null, text: "x " },
    { type: "operator", text: "=" },
    { type: null, text: " " },
    { type: "string", text: '"abc' },
  ]);
  deepEqual(highlight("a /* open\nstill", "c"), [{ type: null, text: "a " }, {
    type: "comment",
    text: "/* open\nstill",
  }]);
  deepEqual(highlight('s = """open\nmore', "python").at(-1), { type: "string", text: '"""open\nmore' });
});
