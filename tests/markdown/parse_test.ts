import { deepEqual, equal, ok } from "node:assert/strict";
import { parseInline, parseMarkdown, plainText } from "../../lib/markdown/mod.ts";
import { md } from "./_html.ts";

const text = (value: string) => ({ type: "text", value });
const para = (value: string) => ({ type: "paragraph", children: [text(value)] });

Deno.test("parse: tree shape of headings, paragraphs, code, rule", () => {
  deepEqual(parseMarkdown("## Hi\n\nbody\n\n```js\nx\n```\n\n***"), [
    { type: "heading", level: 2, children: [text("Hi")] },
    para("body"),
    { type: "code", lang: "js", text: "x", closed: true },
    { type: "hr" },
  ]);
});

Deno.test("parse: lists record order, start, looseness and task state", () => {
  deepEqual(parseMarkdown("7. a\n8. [x] b"), [{
    type: "list",
    ordered: true,
    start: 7,
    loose: false,
    items: [{ checked: null, children: [para("a")] }, { checked: true, children: [para("b")] }],
  }]);
  deepEqual(parseMarkdown("- a\n\n- b")[0], {
    type: "list",
    ordered: false,
    start: 1,
    loose: true,
    items: [{ checked: null, children: [para("a")] }, { checked: null, children: [para("b")] }],
  });
});

Deno.test("parse: tables keep alignment per column and pad short rows", () => {
  deepEqual(parseMarkdown("a|b|c\n:-:|--|-:\n1"), [{
    type: "table",
    align: ["center", null, "right"],
    head: [[text("a")], [text("b")], [text("c")]],
    rows: [[[text("1")], [], []]],
  }]);
});

Deno.test("parse: links keep the destination as written (escapes and references decoded)", () => {
  deepEqual(parseInline('[a](/x\\_y&amp;z "T")'), [
    { type: "link", href: "/x_y&z", title: "T", children: [text("a")] },
  ]);
  deepEqual(parseInline("![alt *x*](p.png)"), [{ type: "image", src: "p.png", alt: "alt x" }]);
  deepEqual(plainText(parseInline("a **b** `c`  \nd")), "a b c\nd");
});

Deno.test("parse: CRLF, tabs and pathological input", () => {
  deepEqual(parseMarkdown("a\r\nb\r\n"), [para("a\nb")]);
  deepEqual(parseMarkdown("-\tx"), [{
    type: "list",
    ordered: false,
    start: 1,
    loose: false,
    items: [{ checked: null, children: [para("x")] }],
  }]);
  // Many unmatched openers must not blow up (they stay text).
  const stars = "*a ".repeat(2000);
  deepEqual(parseMarkdown(stars), [para(stars.trimEnd())]);
  deepEqual(parseMarkdown(">".repeat(50) + " deep").length, 1);
});

Deno.test("parse: nesting is bounded, so hostile input cannot overflow the stack", () => {
  const depthOf = (html: string, tag: string) => html.split(`<${tag}>`).length - 1;
  const quotes = md("> ".repeat(3000) + "x");
  equal(depthOf(quotes, "blockquote"), 16);
  const lists = md(Array.from({ length: 500 }, () => "> - ").join("") + "x");
  equal(depthOf(lists, "blockquote") + depthOf(lists, "ul"), 16);
  const em = md("*".repeat(5000) + "a" + "*".repeat(5000));
  ok(depthOf(em, "em") + depthOf(em, "strong") <= 32);
  ok(md("![".repeat(3000) + "a" + "](x)".repeat(3000)).length > 0);
});
