import { deepEqual, equal, ok } from "node:assert/strict";
import { parseMarkdown } from "../../lib/markdown/mod.ts";
import { md, violations } from "./_html.ts";

const COPY = '<button type="button" class="copy-code" data-copy aria-label="Copy code">Copy</button>';

/** A reply touching every construct, streamed one character at a time below. */
const REPLY = `# Plan

Here is **the plan** with \`code\`, a [link](https://example.com/a_(b)) and ~~noise~~:

1. First *step*
2. Second step
   - nested [x](javascript:alert(1))
   - [ ] task

> Quote with <script>alert(1)</script>
> and more

| name | value |
|:-----|------:|
| a    | 1     |

\`\`\`ts
// comment
const s = "string <b>";
function f(x: number): number { return x * 2; }
\`\`\`

---

Done.  
Bye https://deno.com.
`;

Deno.test("streaming: every prefix of a reply renders well-formed, safe HTML", () => {
  for (let end = 0; end <= REPLY.length; end++) {
    const prefix = REPLY.slice(0, end);
    deepEqual(violations(md(prefix)), [], `prefix ${JSON.stringify(prefix)}`);
  }
});

Deno.test("streaming: an unclosed fence renders as a code block in progress", () => {
  equal(
    md("```py\ndef f("),
    '<div class="code-block code-open"><div class="code-header"><span class="code-lang">py</span>' + COPY +
      '</div><pre tabindex="0"><code class="language-py"><span class="tok-keyword">def</span> <span class="tok-function">f</span>(</code></pre></div>',
  );
  equal(
    md("text\n\n```"),
    '<p>text</p><div class="code-block code-open"><div class="code-header"><span class="code-lang">text</span>' +
      COPY +
      '</div><pre tabindex="0"><code></code></pre></div>',
  );
  deepEqual(parseMarkdown("```js\nlet a = `tmpl\n"), [{
    type: "code",
    lang: "js",
    text: "let a = `tmpl\n",
    closed: false,
  }]);
  deepEqual(parseMarkdown("```js\nx\n```")[0], { type: "code", lang: "js", text: "x", closed: true });
});

Deno.test("streaming: an unterminated string in an open fence highlights to the end", () => {
  ok(md('```js\nconst s = "abc').includes('<span class="tok-string">&quot;abc</span>'));
});

Deno.test("streaming: unfinished inline syntax stays literal until it completes", () => {
  equal(md("some **bol"), "<p>some **bol</p>");
  equal(md("some **bold**"), "<p>some <strong>bold</strong></p>");
  equal(md("a `co"), "<p>a `co</p>");
  equal(md("[link](http"), "<p>[link](http</p>");
  equal(md("| a | b |\n|--"), "<p>| a | b |\n|--</p>");
  equal(md("- "), "<ul><li></li></ul>");
  equal(md("1."), "<ol><li></li></ol>");
});
