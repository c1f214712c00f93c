import assert from "node:assert/strict";
import { chunkText, EOS_TEXT, Tokenizer, TokenizerError } from "../../ml/tokenizer.ts";

const CORPUS = "The whale, the whale! Call me Ishmael. Some years ago, never mind how long precisely, " +
  "having little or no money in my purse, and nothing particular to interest me on shore, I thought I " +
  "would sail about a little and see the watery part of the world. The the the whale whale. ".repeat(3);

const SAMPLES = [
  "",
  "hello world",
  "  leading and trailing spaces  \n\n\ttabs\r\n",
  "Ünïcödé: naïve café, 日本語のテキスト, emoji 🐳🐋 and ZWJ 👩‍👩‍👧, combining e\u0301",
  "numbers 12345 and punctuation !!?? ... ''' \"quotes\" don't we'll",
  EOS_TEXT + " is plain text when it is inside the input",
  "\u0000\u0001 control \u007f chars",
];

Deno.test("tokenizer: chunks cover the text exactly", () => {
  for (const s of SAMPLES) assert.equal(chunkText(s).join(""), s);
});

Deno.test("tokenizer: byte-level and trained BPE round-trip any UTF-8 text exactly", () => {
  const bpe = Tokenizer.train(CORPUS, { vocabSize: 300 });
  for (const tok of [Tokenizer.bytes(), bpe]) {
    for (const s of [...SAMPLES, CORPUS]) {
      const ids = tok.encode(s);
      assert.ok(ids.every((id) => id >= 0 && id < tok.eosId));
      assert.equal(tok.decode(ids), s);
    }
  }
  assert.equal(Tokenizer.bytes().vocabSize, 257);
  assert.equal(Tokenizer.bytes().encode("é").length, 2);
});

Deno.test("tokenizer: training merges frequent pairs, is deterministic, and compresses its corpus", () => {
  const a = Tokenizer.train(CORPUS, { vocabSize: 300 });
  const b = Tokenizer.train(CORPUS, { vocabSize: 300 });
  // Training stops early when no pair occurs twice any more.
  assert.ok(Tokenizer.train(CORPUS, { vocabSize: 5000 }).vocabSize < 5000);
  assert.deepEqual(a.merges, b.merges);
  assert.equal(a.vocabSize, 300);
  assert.equal(a.eosId, 299);
  const bytes = new TextEncoder().encode(CORPUS).length;
  assert.ok(a.encode(CORPUS).length < bytes * 0.5, "BPE should halve the corpus at least");
  // " whale" is one of the most frequent words: it must have become a single token.
  assert.equal(a.encode(" whale").length, 1);
});

Deno.test("tokenizer: JSON round-trip, EOS decodes to nothing, streaming decoder keeps characters whole", () => {
  const tok = Tokenizer.train(CORPUS, { vocabSize: 280 });
  const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
  assert.deepEqual(again.merges, tok.merges);
  assert.equal(again.decode([...tok.encode("hi 🐳"), tok.eosId]), "hi 🐳");
  const stream = again.streamDecoder();
  let out = "";
  for (const id of Tokenizer.bytes().encode("🐳é")) {
    const piece = stream.push(id);
    assert.ok(!piece.includes("\uFFFD"));
    out += piece;
  }
  assert.equal(out + stream.flush(), "🐳é");
  assert.throws(() => Tokenizer.fromJSON({ format: "x" }), TokenizerError);
  assert.throws(
    () => new Tokenizer([[0, 999]]),
    (e) => e instanceof TokenizerError && e.code === "TOKENIZER_INVALID",
  );
  assert.throws(
    () => Tokenizer.train("abc", { vocabSize: 100 }),
    (e) => (e as TokenizerError).code === "TOKENIZER_VOCAB_SIZE",
  );
});

Deno.test("tokenizer: a leading U+FEFF survives decode and the stream decoder (TextDecoder would strip it)", () => {
  const bpe = Tokenizer.train(CORPUS, { vocabSize: 300 });
  for (const tok of [Tokenizer.bytes(), bpe]) {
    for (const s of ["\uFEFFhello", "\uFEFF", "\uFEFF\uFEFFtwo marks", "mid\uFEFFdle"]) {
      const ids = tok.encode(s);
      assert.equal(tok.decode(ids), s);
      const stream = tok.streamDecoder();
      assert.equal(ids.map((id) => stream.push(id)).join("") + stream.flush(), s);
    }
  }
});
