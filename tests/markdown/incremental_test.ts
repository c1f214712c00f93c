import { deepEqual, equal, ok } from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { Markdown, parseMarkdown, renderMarkdown } from "../../lib/markdown/mod.ts";
import { IncrementalMarkdown } from "../../lib/markdown/incremental.ts";

/** Pieces that exercise every block kind and the cases where later text changes an earlier block. */
const PIECES = [
  "# Heading\n",
  "Para line one\nline two\n",
  "===\n", // setext: turns the paragraph above into a heading
  "---\n",
  "- item one\n- item two\n\n  continued after a blank\n",
  "1. first\n2) other\n",
  "> quote\nlazy continuation\n",
  "| a | b |\n|:--|--:|\n| 1 | 2 |\n",
  "head|cell\n-|-\n", // a table that interrupts the paragraph before it
  "```ts\nconst x = 1;\n\n```\n",
  "~~~\nunclosed fence\n",
  "    indented code\n\n    more\n",
  "text with **bold** and `code`\r\n",
  "\tTabbed\r",
  "\n\n\n",
  "plain words ",
  "[link](https://example.com) *em*\n",
  "- [x] task\n",
  "#no-heading\n",
];

/** Seeded LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function document(random: () => number, pieces: number): string {
  let text = "";
  for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(random() * PIECES.length)];
  return text;
}

Deno.test("incremental parse equals a full parse after every chunk (seeded random documents and splits)", () => {
  for (let seed = 1; seed <= 60; seed++) {
    const random = rng(seed);
    const text = document(random, 4 + Math.floor(random() * 14));
    const inc = new IncrementalMarkdown();
    let end = 0;
    while (end < text.length) {
      end = Math.min(text.length, end + 1 + Math.floor(random() * 7));
      const prefix = text.slice(0, end);
      deepEqual(
        inc.update(prefix).blocks,
        parseMarkdown(prefix),
        `seed ${seed} at ${end}: ${JSON.stringify(prefix)}`,
      );
    }
  }
});

Deno.test("incremental parse, one character at a time, equals a full parse at every step", () => {
  const text = PIECES.join("") + PIECES.slice().reverse().join("");
  const inc = new IncrementalMarkdown();
  for (let end = 0; end <= text.length; end++) {
    deepEqual(inc.update(text.slice(0, end)).blocks, parseMarkdown(text.slice(0, end)), `at ${end}`);
  }
  ok(inc.finalCount > 10, `most blocks became final: ${inc.finalCount}`);
});

Deno.test("text that does not extend the previous text is parsed from scratch", () => {
  const inc = new IncrementalMarkdown();
  inc.update("# One\n\nPara\n\n- a\n- b\n\nEnd\n");
  ok(inc.finalCount > 0);
  deepEqual(inc.update("Para edited\n").blocks, parseMarkdown("Para edited\n"));
  equal(inc.finalCount, 0);
  deepEqual(inc.update("").blocks, []);
});

Deno.test("final blocks stay the same objects while the text grows (a renderer can keep their output)", () => {
  const inc = new IncrementalMarkdown();
  let text = "";
  for (let i = 0; i < 50; i++) {
    text += `Paragraph ${i} with *text*.\n\n`;
    inc.update(text);
  }
  const final = inc.finalBlocks.slice();
  equal(final.length, 49, "all but the last paragraph are final");
  inc.update(text + "more");
  final.forEach((b, i) => equal(inc.finalBlocks[i], b, `block ${i} kept`));
});

Deno.test("<Markdown> (incremental, final blocks in their own component) renders the same HTML as renderMarkdown", () => {
  const random = rng(99);
  for (let i = 0; i < 20; i++) {
    const text = document(random, 3 + Math.floor(random() * 10));
    equal(renderToString(h(Markdown, { text })), renderToString(renderMarkdown(text)), JSON.stringify(text));
  }
});
