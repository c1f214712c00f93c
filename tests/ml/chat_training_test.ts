import assert from "node:assert/strict";
import { initBackend, liveTensors, tf } from "../../ml/backend.ts";
import type { ChatMessage } from "../../ml/data/chat.ts";
import { chatSegments, formatChatML } from "../../ml/data/chat_template.ts";
import { encodeChatExample, instructionBatch } from "../../ml/dataset.ts";
import { Gpt } from "../../ml/model.ts";
import { accumulateGradients, type TokenBatch } from "../../ml/step.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";
import { readTrainingExamples } from "../../ml/train.ts";

await initBackend();

const CHAT: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hi" },
  { role: "assistant", content: "Hello." },
  { role: "user", content: "Bye" },
  { role: "assistant", content: "Ciao." },
  { role: "user", content: "trailing, never answered" },
];

Deno.test("ChatML template: the documented text, assistant turns learned, trailing user turn dropped", () => {
  assert.equal(
    formatChatML(CHAT.slice(0, 2), true),
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
  );
  const segments = chatSegments(CHAT);
  assert.equal(segments.map((s) => s.text).join(""), formatChatML(CHAT.slice(0, 5)));
  assert.deepEqual(segments.filter((s) => s.learn).map((s) => s.text), [
    "Hello.",
    "<|im_end|>",
    "Ciao.",
    "<|im_end|>",
  ]);
});

Deno.test("chat examples: only assistant tokens (and the final EOS) carry weight", () => {
  const tok = Tokenizer.bytes();
  const ex = encodeChatExample(tok, CHAT);
  const text = formatChatML(CHAT.slice(0, 5));
  assert.equal(tok.decode(ex.tokens), text); // EOS decodes to nothing
  assert.equal(ex.tokens.at(-1), tok.eosId);
  // The learned bytes, read back, are exactly the assistant replies with their closing markers, then EOS.
  const learned = Array.from(ex.tokens).filter((_, i) => ex.learn![i] === 1);
  assert.equal(tok.decode(learned), "Hello.<|im_end|>Ciao.<|im_end|>");
  assert.equal(learned.at(-1), tok.eosId);
  assert.equal(ex.promptLength, text.indexOf("Hello."));
  const seq = ex.tokens.length - 1;
  const batch = instructionBatch([ex], seq, tok.eosId);
  // Position t predicts token t+1: its weight is token t+1's learn flag.
  assert.deepEqual(Array.from(batch.weights), Array.from(ex.learn!.subarray(1)));
  assert.equal(batch.weights.reduce((a, b) => a + b, 0), "Hello.<|im_end|>Ciao.<|im_end|>".length + 1);
});

Deno.test("chat examples: masked positions contribute exactly zero loss and zero gradient", async () => {
  const tok = Tokenizer.bytes();
  const ex = encodeChatExample(tok, CHAT.slice(0, 3));
  const seq = ex.tokens.length - 1;
  const model = new Gpt({ vocabSize: tok.vocabSize, blockSize: seq, layers: 1, heads: 2, dModel: 16 }, 3);
  const vars = model.trainableVariables();
  const batch = instructionBatch([ex], seq, tok.eosId);
  // Every masked target replaced by another token: loss and every gradient stay bit-identical.
  const scrambled: TokenBatch = {
    ...batch,
    targets: batch.targets.map((t, i) => (batch.weights[i] === 0 ? (t + 101) % tok.vocabSize : t)),
  };
  const live = liveTensors();
  const a = await accumulateGradients(model, vars, [batch]);
  const b = await accumulateGradients(model, vars, [scrambled]);
  assert.equal(b.loss, a.loss);
  for (const [i, g] of a.grads.entries()) {
    assert.deepEqual(await b.grads[i].data(), await g.data(), vars[i].name);
  }
  // A learned target does change them.
  const learnedAt = batch.weights.indexOf(1);
  const moved: TokenBatch = {
    ...batch,
    targets: batch.targets.map((t, i) => (i === learnedAt ? (t + 1) % tok.vocabSize : t)),
  };
  const c = await accumulateGradients(model, vars, [moved]);
  assert.notEqual(c.loss, a.loss);
  tf.dispose([...a.grads, ...b.grads, ...c.grads]);
  assert.equal(liveTensors(), live);
  model.dispose();
});

Deno.test("readTrainingExamples: ShareGPT, OpenAI and Alpaca files; a bad record stops with its location", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const sharegpt = { conversations: [{ from: "human", value: "Hi" }, { from: "gpt", value: "Hello." }] };
    const openai = { messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello." }] };
    await Deno.writeTextFile(`${dir}/s.jsonl`, `${JSON.stringify(sharegpt)}\n`);
    await Deno.writeTextFile(`${dir}/o.json`, JSON.stringify([openai]));
    await Deno.writeTextFile(
      `${dir}/a.jsonl`,
      `${JSON.stringify({ instruction: "Hi", input: "", output: "Yo" })}\n`,
    );
    const turns = [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello." }];
    assert.deepEqual(await readTrainingExamples(`${dir}/s.jsonl`), [{ kind: "chat", messages: turns }]);
    assert.deepEqual(await readTrainingExamples(`${dir}/o.json`), [{ kind: "chat", messages: turns }]);
    assert.equal((await readTrainingExamples(`${dir}/a.jsonl`))[0].kind, "instruction");
    await Deno.writeTextFile(
      `${dir}/bad.jsonl`,
      [sharegpt, { conversations: [{ from: "human", value: 3 }] }].map((r) => JSON.stringify(r)).join("\n"),
    );
    await assert.rejects(
      () => readTrainingExamples(`${dir}/bad.jsonl`),
      /record 1, field conversations\.0\.value: expected a string, got a number/,
    );
    await Deno.writeTextFile(
      `${dir}/mixed.jsonl`,
      [sharegpt, openai].map((r) => JSON.stringify(r)).join("\n"),
    );
    await assert.rejects(
      () => readTrainingExamples(`${dir}/mixed.jsonl`),
      /record 1, field \(record\): a openai record, but the first record is sharegpt/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
