import { deepEqual, equal, ok } from "node:assert/strict";
import { md, scanTags, violations } from "./_html.ts";
import { XSS_CORPUS } from "./xss_corpus.ts";

Deno.test("xss corpus: at least 40 payloads, each renders inert", () => {
  ok(XSS_CORPUS.length >= 40, `corpus has ${XSS_CORPUS.length} payloads`);
  for (const payload of XSS_CORPUS) {
    const html = md(payload);
    deepEqual(violations(html), [], `payload ${JSON.stringify(payload)} rendered ${html}`);
    ok(!/<(?:script|img|svg|iframe|object|style|form|meta|body|details|math)\b/i.test(html), html);
  }
});

Deno.test("xss: each payload also renders inert inside lists, quotes, tables and emphasis", () => {
  for (const payload of XSS_CORPUS) {
    const oneLine = payload.replace(/\n/g, " ");
    for (
      const wrapped of [
        `- ${payload}`,
        `> ${payload}`,
        `| ${oneLine} |\n|---|\n| ${oneLine} |`,
        `*${oneLine}*`,
      ]
    ) {
      deepEqual(violations(md(wrapped)), [], `wrapped ${JSON.stringify(wrapped)}`);
    }
  }
});

Deno.test("xss: raw HTML stays visible as literal text", () => {
  equal(md("<script>alert(1)</script>"), "<p>&lt;script>alert(1)&lt;/script></p>");
  equal(md("<img src=x onerror=alert(1)>"), "<p>&lt;img src=x onerror=alert(1)></p>");
  equal(md("&lt;b&gt;"), "<p>&lt;b></p>");
});

Deno.test("xss: hostile link schemes are shown as text, never as <a>", () => {
  for (
    const payload of [
      "[click](javascript:alert(1))",
      "[click](jav&#x61;script:alert(1))",
      "[click](java&Tab;script:alert(1))",
      "[click](<java\tscript:alert(1)>)",
      "[click](data:text/html,x)",
      "[click](vbscript:x)",
      "[click](file:///etc/passwd)",
    ]
  ) {
    equal(md(payload), "<p>click</p>", payload);
  }
  equal(md("<javascript:alert(1)>"), "<p>javascript:alert(1)</p>");
});

Deno.test("xss: fence language strings cannot break out of the class attribute", () => {
  const html = md('```"><script>alert(1)</script>\ncode\n```');
  const classes = scanTags(html).map((t) => t.attrs.get("class")).filter((c) => c?.startsWith("language-"));
  deepEqual(classes, ["language-scriptalert1script"]);
});

Deno.test("xss: link titles are escaped attribute values", () => {
  const html = md('[t](https://ok.example "a\\" onmouseover=\\"x")');
  equal(
    html,
    '<p><a href="https://ok.example" title="a&quot; onmouseover=&quot;x" rel="noopener noreferrer" target="_blank">t</a></p>',
  );
});

Deno.test("xss checker itself flags unsafe HTML (so the corpus test is not vacuous)", () => {
  ok(violations('<p><img src="x" onerror="alert(1)"/></p>').length > 0);
  ok(violations('<a href="javascript:alert(1)" rel="noopener noreferrer" target="_blank">x</a>').length > 0);
  ok(
    violations('<a href="https://ok" rel="noopener noreferrer" target="_blank" onclick="x">x</a>').length > 0,
  );
  ok(violations("<p><em>unclosed</p>").length > 0);
  ok(violations('<p><a href="https://ok">no rel</a></p>').length > 0);
  deepEqual(violations('<p><a href="https://ok" rel="noopener noreferrer" target="_blank">x</a></p>'), []);
});
