/**
 * `deno task bench markdown`: cost of rendering a ~10 KB chat reply, per stage, and of streaming
 * it (re-rendering the growing text every token) on the server and, when Chromium is installed,
 * into a real DOM with Preact; plus the gzipped size of the browser bundle.
 */
import * as esbuild from "esbuild";
import { CHROMIUM, launchBrowser } from "../tests/_helpers/browser.ts";
import { renderToString } from "preact-render-to-string";
import { highlight, IncrementalMarkdown, parseMarkdown, renderMarkdown } from "../lib/markdown/mod.ts";

const SECTION = `## Section N

Here is **bold**, *italic*, ~~struck~~ and \`inline code\`, plus a [link](https://example.com/docs?x=1)
and a bare URL https://deno.com/manual. Escapes \\*stay\\* literal & entities &copy; decode.

1. First step with a nested list:
   - alpha
   - [x] beta (task)
2. Second step

> A quote that spans
> two lines with *emphasis*.

| Column | Count | Note |
|:-------|------:|:----:|
| alpha  | 12    | ok   |
| beta   | 7     | —    |

\`\`\`ts
// Compute a running average.
export function average(xs: number[]): number {
  let sum = 0;
  for (const x of xs) sum += x * 1.5;
  return xs.length === 0 ? 0 : sum / xs.length; /* done */
}
\`\`\`

\`\`\`python
def greet(name: str) -> str:
    return f"Hello, {name}!"  # comment
\`\`\`

---

`;

function makeDoc(bytes: number): string {
  let doc = "# Reply\n\n";
  for (let i = 1; doc.length < bytes; i++) doc += SECTION.replace("N", String(i));
  return doc;
}

/** Median milliseconds of `fn` over enough runs to fill ~`budgetMs`. */
function time(fn: () => unknown, budgetMs = 400): number {
  for (const warm = performance.now(); performance.now() - warm < budgetMs / 2;) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < 10) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const fmt = (ms: number) => ms.toFixed(3);
const doc = makeDoc(10_000);

console.log(`Document: ${doc.length} characters, ${parseMarkdown(doc).length} top-level blocks.\n`);
const parse = time(() => parseMarkdown(doc));
const vnodes = time(() => renderMarkdown(doc));
const html = time(() => renderToString(renderMarkdown(doc)));
const codeText = SECTION.split("```ts\n")[1].split("```")[0];
const hl = time(() => highlight(codeText, "ts"));
console.log("| stage (10 KB reply) | median ms | share of full render |");
console.log("| --- | ---: | ---: |");
console.log(`| parse to syntax tree | ${fmt(parse)} | ${(parse / html * 100).toFixed(0)}% |`);
console.log(`| parse + build VNodes | ${fmt(vnodes)} | ${(vnodes / html * 100).toFixed(0)}% |`);
console.log(`| parse + VNodes + renderToString | ${fmt(html)} | 100% |`);
console.log(`| highlight one ${codeText.length}-char ts block (uncached) | ${fmt(hl)} | — |`);

// Streaming: the island re-renders the whole reply after every token (~4 characters).
console.log(
  "\n| streaming, re-render per token (4 chars) | renders | median ms per render at full size | total ms | ms per render (mean) | vs 16.7 ms frame |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const size of [1_000, 5_000, 10_000]) {
  const text = doc.slice(0, size);
  const t0 = performance.now();
  let renders = 0;
  for (let end = 4; end <= text.length; end += 4, renders++) renderMarkdown(text.slice(0, end));
  const total = performance.now() - t0;
  const full = time(() => renderMarkdown(text), 200);
  console.log(
    `| ${size} chars | ${renders} | ${fmt(full)} | ${total.toFixed(0)} | ${fmt(total / renders)} | ${
      (full / 16.7 * 100).toFixed(1)
    }% |`,
  );
}

// Incremental parsing (lib/markdown/incremental.ts): the cost of one token (4 chars) near the end of a
// 10 KB and a 100 KB reply, parsing the whole prefix vs updating an IncrementalMarkdown that has followed
// the stream so far. Goal: the incremental cost per token does not grow with the reply (ratio ≈ 1).
console.log(
  "\n| parse per token (4 chars) near the end | full parse ms/token | incremental ms/token | incremental / full |",
);
console.log("| --- | ---: | ---: | ---: |");
const perToken: number[] = [];
for (const size of [10_000, 100_000]) {
  const text = makeDoc(size);
  const tokens = 400, from = text.length - tokens * 4;
  const inc = new IncrementalMarkdown();
  for (let end = 4; end < from; end += 4) inc.update(text.slice(0, end)); // follow the stream
  const fullSamples: number[] = [], incSamples: number[] = [];
  for (let end = from; end <= text.length; end += 4) {
    const prefix = text.slice(0, end);
    let t = performance.now();
    inc.update(prefix);
    incSamples.push(performance.now() - t);
    if ((end - from) % 16 === 0) { // the full parse is slow at 100 KB: every 4th token
      t = performance.now();
      parseMarkdown(prefix);
      fullSamples.push(performance.now() - t);
    }
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const full = med(fullSamples), incremental = med(incSamples);
  perToken.push(incremental);
  console.log(
    `| ${(text.length / 1000).toFixed(0)} KB | ${fmt(full)} | ${fmt(incremental)} | ${
      (incremental / full).toFixed(3)
    } |`,
  );
}
console.log(
  `| **incremental 100 KB / 10 KB** | | ${
    (perToken[1] / perToken[0]).toFixed(2)
  } (1 = constant in the reply length) | |`,
);

// Browser bundle: what an island that renders markdown adds on top of preact.
const built = await esbuild.build({
  entryPoints: [new URL("../lib/markdown/mod.ts", import.meta.url).pathname],
  bundle: true,
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  format: "esm",
  write: false,
  external: ["preact", "preact/*"],
  platform: "browser",
  target: "es2022",
  logLevel: "silent",
});
const bytes = built.outputFiles[0].contents;
const gz = await new Response(new Blob([bytes.slice()]).stream().pipeThrough(new CompressionStream("gzip")))
  .arrayBuffer();
console.log("\n| browser bundle of lib/markdown (preact external) | bytes |");
console.log("| --- | ---: |");
console.log(`| minified | ${bytes.length} |`);
console.log(`| minified + gzip | ${gz.byteLength} |`);

// In the browser: Preact re-rendering the reply into a real DOM after every token, as an island does.
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (hasChromium) {
  const page = `import { h, render } from "preact"; import { Markdown } from "./lib/markdown/mod.ts";
globalThis.stream = (doc, step) => {
  const root = document.getElementById("root");
  const t0 = performance.now();
  let renders = 0;
  for (let end = step; end <= doc.length; end += step, renders++) render(h(Markdown, { text: doc.slice(0, end) }), root);
  return { renders, total: performance.now() - t0 };
};`;
  const iife = await esbuild.build({
    stdin: { contents: page, resolveDir: new URL("..", import.meta.url).pathname, loader: "ts" },
    bundle: true,
    minify: true,
    jsx: "automatic",
    jsxImportSource: "preact",
    format: "iife",
    write: false,
    logLevel: "silent",
  });
  const browser = await launchBrowser();
  const tab = await browser.newPage();
  await tab.setContent(`<div id="root"></div><script>${iife.outputFiles[0].text}</script>`);
  console.log(
    "\n| Chromium: Preact render into the DOM per token (4 chars) | renders | total ms | ms per render (mean) |",
  );
  console.log("| --- | ---: | ---: | ---: |");
  for (const size of [1_000, 10_000]) {
    const { renders, total } = await tab.evaluate(
      ([text]) =>
        (globalThis as unknown as { stream(d: string, s: number): { renders: number; total: number } })
          .stream(text, 4),
      [doc.slice(0, size)],
    );
    console.log(`| ${size} chars | ${renders} | ${total.toFixed(0)} | ${fmt(total / renders)} |`);
  }
  await browser.close();
} else console.log(`\n(Chromium not found at ${CHROMIUM}: browser rendering not measured.)`);
await esbuild.stop();
