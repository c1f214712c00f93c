import assert from "node:assert/strict";
import { packSentences, splitSentences, toSpeakableText } from "../../lib/voice/sentences.ts";

Deno.test("sentences: plain sentence ends split; abbreviations, initials and decimals do not", () => {
  const text = "Hello there. Dr. Smith paid $3.14 for it, e.g. a coffee. Was it worth it? Yes! " +
    "J. R. R. Tolkien wrote books etc. The end...";
  assert.deepEqual(splitSentences(text, { minChars: 0 }), [
    "Hello there.",
    "Dr. Smith paid $3.14 for it, e.g. a coffee.",
    "Was it worth it?",
    "Yes!",
    "J. R. R. Tolkien wrote books etc.",
    "The end...",
  ]);
});

Deno.test("sentences: dotted abbreviations end a sentence only before a capital", () => {
  assert.deepEqual(
    splitSentences(
      "He lives in the U.S. and works for Acme Inc. Really. Go to St. Louis at 5 p.m. Then rest.",
      {
        minChars: 0,
      },
    ),
    ["He lives in the U.S. and works for Acme Inc.", "Really.", "Go to St. Louis at 5 p.m.", "Then rest."],
  );
});

Deno.test("sentences: code blocks are skipped, Markdown marks and link targets dropped", () => {
  const reply = "Here is code:\n\n```ts\nconst x = 1. + 2;\nconsole.log(x)\n```\n\nThat prints **3**. " +
    "See [the docs](https://x.y/z) and `npm test`.\n- first item\n- second item\n\n# Heading\n1. Step one";
  assert.deepEqual(splitSentences(reply, { minChars: 0 }), [
    "Here is code:",
    "That prints 3.",
    "See the docs and npm test.",
    "first item.",
    "second item.",
    "Heading.",
    "Step one.",
  ]);
  assert.equal(toSpeakableText("```\nonly code\n```"), "");
  assert.deepEqual(splitSentences("```py\nprint(1)\n```"), []);
  // An unterminated fence hides everything after it.
  assert.deepEqual(splitSentences("Look. Now code:\n```\nx = 1. y = 2.", { minChars: 0 }), [
    "Look.",
    "Now code:",
  ]);
});

Deno.test("sentences: long sentences are cut at clause marks within maxChars", () => {
  const long =
    "This is a rather long sentence that keeps going, and going, with many clauses; it would take " +
    "a while to synthesize in one piece, which is exactly why we cut it at a clause mark near the limit.";
  const chunks = splitSentences(long, { maxChars: 80, minChars: 0 });
  assert.deepEqual(chunks, [
    "This is a rather long sentence that keeps going, and going, with many clauses;",
    "it would take a while to synthesize in one piece,",
    "which is exactly why we cut it at a clause mark near the limit.",
  ]);
  const word = "x".repeat(250);
  assert.deepEqual(splitSentences(word, { maxChars: 100 }).map((c) => c.length), [100, 100, 51]);
  for (const c of splitSentences(long.repeat(5), { maxChars: 60 })) assert.ok(c.length <= 60, c);
});

Deno.test("sentences: short chunks after the first join the next one", () => {
  assert.deepEqual(
    splitSentences("Sure! Yes. No. This sentence is long enough on its own.", { minChars: 12 }),
    [
      "Sure!",
      "Yes. No. This sentence is long enough on its own.",
    ],
  );
});

Deno.test("sentences: packSentences fills requests up to maxChars at sentence ends", () => {
  const reply = "One two three. Four five six. Seven eight nine. Ten.";
  assert.deepEqual(packSentences(reply, 1000), [reply]);
  assert.deepEqual(packSentences(reply, 30), ["One two three. Four five six.", "Seven eight nine. Ten."]);
});
