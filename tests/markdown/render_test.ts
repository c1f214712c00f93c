import { equal } from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { h } from "preact";
import { Markdown, renderMarkdown } from "../../lib/markdown/mod.ts";
import { md } from "./_html.ts";

const A = 'rel="noopener noreferrer" target="_blank"';
const COPY = '<button type="button" class="copy-code" data-copy aria-label="Copy code">Copy</button>';

/** Asserts the exact HTML for each [markdown, html] pair. */
function cases(pairs: [string, string][]): void {
  for (const [input, expected] of pairs) equal(md(input), expected, `markdown: ${JSON.stringify(input)}`);
}

Deno.test("wrapper: component and function render the same div, extra classes appended", () => {
  equal(renderToString(renderMarkdown("hi")), '<div class="markdown"><p>hi</p></div>');
  equal(
    renderToString(h(Markdown, { text: "hi", class: "reply" })),
    '<div class="markdown reply"><p>hi</p></div>',
  );
  equal(renderToString(renderMarkdown("")), '<div class="markdown"></div>');
});

Deno.test("headings: ATX levels, closing hashes, setext, non-headings", () => {
  cases([
    ["# One", "<h1>One</h1>"],
    ["###### Six", "<h6>Six</h6>"],
    ["####### seven", "<p>####### seven</p>"],
    ["## Closed ##", "<h2>Closed</h2>"],
    ["# C# #", "<h1>C#</h1>"],
    ["#hashtag", "<p>#hashtag</p>"],
    ["#", "<h1></h1>"],
    ["# *Em* `code`", "<h1><em>Em</em> <code>code</code></h1>"],
    ["Title\n===", "<h1>Title</h1>"],
    ["Sub\n---", "<h2>Sub</h2>"],
  ]);
});

Deno.test("paragraphs, soft and hard line breaks", () => {
  cases([
    ["one\ntwo", "<p>one\ntwo</p>"],
    ["one\n\ntwo", "<p>one</p><p>two</p>"],
    ["one  \ntwo", "<p>one<br/>two</p>"],
    ["one\\\ntwo", "<p>one<br/>two</p>"],
    ["  indented start\n   continues", "<p>indented start\ncontinues</p>"],
    ["trailing  ", "<p>trailing</p>"],
  ]);
});

Deno.test("emphasis, strong, strikethrough follow the delimiter rules", () => {
  cases([
    ["*em* _em_", "<p><em>em</em> <em>em</em></p>"],
    ["**strong** __strong__", "<p><strong>strong</strong> <strong>strong</strong></p>"],
    ["***both***", "<p><em><strong>both</strong></em></p>"],
    ["**bold *and em***", "<p><strong>bold <em>and em</em></strong></p>"],
    ["~~gone~~ ~also~", "<p><del>gone</del> <del>also</del></p>"],
    ["snake_case_name", "<p>snake_case_name</p>"],
    ["2*3*4", "<p>2<em>3</em>4</p>"],
    ["* not a list item*", "<ul><li>not a list item*</li></ul>"],
    ["a * b * c", "<p>a * b * c</p>"],
    ["**unclosed", "<p>**unclosed</p>"],
    [
      "~~~ tildes",
      '<div class="code-block code-open"><div class="code-header"><span class="code-lang">tildes</span>' +
      COPY + '</div><pre tabindex="0"><code class="language-tildes"></code></pre></div>',
    ],
    ["a ~~~b~~~", "<p>a ~~~b~~~</p>"],
  ]);
});

Deno.test("inline code, escapes and character references", () => {
  cases([
    ["use `x < y`", "<p>use <code>x &lt; y</code></p>"],
    ["`` a ` b ``", "<p><code>a ` b</code></p>"],
    ["`unclosed", "<p>`unclosed</p>"],
    ["`*not em*`", "<p><code>*not em*</code></p>"],
    ["\\*literal\\* \\# \\a", "<p>*literal* # \\a</p>"],
    ["&amp; &copy; &#65; &#x42; &bogus;", "<p>&amp; © A B &amp;bogus;</p>"],
  ]);
});

Deno.test("fenced and indented code blocks with highlighting and a copy button", () => {
  const block = (lang: string, body: string, open = false) =>
    `<div class="code-block${open ? " code-open" : ""}"><div class="code-header"><span class="code-lang">${
      lang || "text"
    }</span>${COPY}</div><pre tabindex="0"><code${
      lang ? ` class="language-${lang}"` : ""
    }>${body}</code></pre></div>`;
  cases([
    [
      "```js\nlet a = 1;\n```",
      block(
        "js",
        '<span class="tok-keyword">let</span> a <span class="tok-operator">=</span> <span class="tok-number">1</span>;',
      ),
    ],
    ["```\nplain <b>\n```", block("", "plain &lt;b>")],
    ["~~~python extra words\nx\n~~~", block("python", "x")],
    ["````md\n```\ninner\n```\n````", block("md", "```\ninner\n```")],
    ["  ```\n  indented\n    more\n  ```", block("", "indented\n  more")],
    ["    code line\n\n    after blank", block("", "code line\n\nafter blank")],
    ["```\n```", block("", "")],
    ["```TS\nx\n```", block("ts", "x")],
    ["``` not`fence", "<p>``` not`fence</p>"],
  ]);
});

Deno.test("lists: bullets, ordered with start, nested, loose, tasks", () => {
  cases([
    ["- a\n- b", "<ul><li>a</li><li>b</li></ul>"],
    ["* a\n+ b", "<ul><li>a</li></ul><ul><li>b</li></ul>"],
    ["1. a\n2. b", "<ol><li>a</li><li>b</li></ol>"],
    ["3) c\n4) d", '<ol start="3"><li>c</li><li>d</li></ol>'],
    ["- a\n  - b\n    - c\n- d", "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ul>"],
    ["1. one\n   - sub\n2. two", "<ol><li>one<ul><li>sub</li></ul></li><li>two</li></ol>"],
    ["- a\n\n- b", "<ul><li><p>a</p></li><li><p>b</p></li></ul>"],
    ["- a\n\n  more", "<ul><li><p>a</p><p>more</p></li></ul>"],
    ["- a\nlazy", "<ul><li>a\nlazy</li></ul>"],
    ["- a\n\nafter", "<ul><li>a</li></ul><p>after</p>"],
    [
      "- [ ] todo\n- [x] done",
      '<ul><li class="task-item"><input type="checkbox" disabled aria-label="Not done"/>todo</li>' +
      '<li class="task-item"><input type="checkbox" disabled checked aria-label="Done"/>done</li></ul>',
    ],
    [
      "- ```sh\n  ls\n  ```",
      '<ul><li><div class="code-block"><div class="code-header"><span class="code-lang">sh</span>' + COPY +
      '</div><pre tabindex="0"><code class="language-sh"><span class="tok-builtin">ls</span></code></pre></div></li></ul>',
    ],
    ["text\n- item", "<p>text</p><ul><li>item</li></ul>"],
    ["text\n2. not a list", "<p>text\n2. not a list</p>"],
    ["-", "<ul><li></li></ul>"],
  ]);
});

Deno.test("block quotes, nesting and lazy continuation", () => {
  cases([
    ["> quote", "<blockquote><p>quote</p></blockquote>"],
    ["> a\nlazy", "<blockquote><p>a\nlazy</p></blockquote>"],
    ["> a\n>\n> b", "<blockquote><p>a</p><p>b</p></blockquote>"],
    ["> > nested", "<blockquote><blockquote><p>nested</p></blockquote></blockquote>"],
    ["> - item\n> # head", "<blockquote><ul><li>item</li></ul><h1>head</h1></blockquote>"],
    [">", "<blockquote></blockquote>"],
  ]);
});

Deno.test("GFM tables: alignment, escaped pipes, ragged rows", () => {
  cases([
    [
      "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |",
      '<div class="table-wrap" role="region" aria-label="Table" tabindex="0"><table><thead><tr><th class="align-left">a</th><th class="align-center">b</th>' +
      '<th class="align-right">c</th></tr></thead><tbody><tr><td class="align-left">1</td>' +
      '<td class="align-center">2</td><td class="align-right">3</td></tr></tbody></table></div>',
    ],
    [
      "a | b\n--|--\n`x\\|y` | **z** | extra\nonly",
      '<div class="table-wrap" role="region" aria-label="Table" tabindex="0"><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>' +
      "<tr><td><code>x|y</code></td><td><strong>z</strong></td></tr><tr><td>only</td><td></td></tr></tbody></table></div>",
    ],
    [
      "| h |\n| - |",
      '<div class="table-wrap" role="region" aria-label="Table" tabindex="0"><table><thead><tr><th>h</th></tr></thead></table></div>',
    ],
    ["| a | b |\n| - |", "<p>| a | b |\n| - |</p>"],
    [
      "intro\n| a |\n|---|\n| 1 |\n\nafter",
      '<p>intro</p><div class="table-wrap" role="region" aria-label="Table" tabindex="0"><table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody>' +
      "</table></div><p>after</p>",
    ],
  ]);
});

Deno.test("thematic breaks", () => {
  cases([
    ["---", "<hr/>"],
    ["* * *", "<hr/>"],
    ["___", "<hr/>"],
    ["a\n\n- - -\n\nb", "<p>a</p><hr/><p>b</p>"],
    ["--", "<p>--</p>"],
  ]);
});

Deno.test("links: inline, titles, relative, autolinks, bare URLs", () => {
  cases([
    ["[Deno](https://deno.com)", `<p><a href="https://deno.com" ${A}>Deno</a></p>`],
    ['[t](https://x.y "Title")', `<p><a href="https://x.y" title="Title" ${A}>t</a></p>`],
    ["[*em* link](/path?q=1#frag)", `<p><a href="/path?q=1#frag" ${A}><em>em</em> link</a></p>`],
    ["[top](#top)", `<p><a href="#top" ${A}>top</a></p>`],
    ["[mail](mailto:a@b.co)", `<p><a href="mailto:a@b.co" ${A}>mail</a></p>`],
    [
      "[wiki](https://en.wikipedia.org/wiki/Foo_(bar))",
      `<p><a href="https://en.wikipedia.org/wiki/Foo_(bar)" ${A}>wiki</a></p>`,
    ],
    ["[sp](<a b.html>)", `<p><a href="a%20b.html" ${A}>sp</a></p>`],
    ["<https://a.b/c>", `<p><a href="https://a.b/c" ${A}>https://a.b/c</a></p>`],
    ["<me@example.com>", `<p><a href="mailto:me@example.com" ${A}>me@example.com</a></p>`],
    ["see https://a.b/c.", `<p>see <a href="https://a.b/c" ${A}>https://a.b/c</a>.</p>`],
    ["(www.a.org/x)", `<p>(<a href="http://www.a.org/x" ${A}>www.a.org/x</a>)</p>`],
    ["**https://a.b**", `<p><strong><a href="https://a.b" ${A}>https://a.b</a></strong></p>`],
    ["`https://a.b`", "<p><code>https://a.b</code></p>"],
    [
      "[outer [inner](https://i) text](https://o)",
      `<p><a href="https://o" ${A}>outer [inner](https://i) text</a></p>`,
    ],
    ["[no dest]", "<p>[no dest]</p>"],
    ["[unfinished](https://exa", '<p>[unfinished](<a href="https://exa" ' + A + ">https://exa</a></p>"],
  ]);
});

Deno.test("images become links labelled with their alt text, never <img>", () => {
  cases([
    [
      "![a cat](https://c.at/cat.png)",
      `<p><a class="image-link" href="https://c.at/cat.png" ${A}>a cat</a></p>`,
    ],
    ["![](https://c.at/x.png)", `<p><a class="image-link" href="https://c.at/x.png" ${A}>image</a></p>`],
    ["[![badge](https://b/b.svg)](https://ci)", `<p><a href="https://ci" ${A}>badge</a></p>`],
    ["![x](javascript:alert(1))", "<p>x</p>"],
  ]);
});

Deno.test("raw HTML is shown as text", () => {
  cases([
    ["<b>bold</b>", "<p>&lt;b>bold&lt;/b></p>"],
    ["<div>\nblock\n</div>", "<p>&lt;div>\nblock\n&lt;/div></p>"],
    ["<!-- comment -->", "<p>&lt;!-- comment --></p>"],
  ]);
});
