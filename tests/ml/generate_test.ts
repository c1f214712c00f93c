import assert from "node:assert/strict";
import { initBackend, liveTensors } from "../../ml/backend.ts";
import { generateTokens, sampleToken } from "../../ml/generate.ts";
import { Gpt } from "../../ml/model.ts";
import { Rng } from "../../ml/random.ts";

await initBackend();

async function collect(it: AsyncIterable<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const t of it) out.push(t);
  return out;
}

Deno.test("generate: identical tokens with and without the KV cache, also past blockSize", async () => {
  const model = new Gpt({ vocabSize: 50, blockSize: 12, layers: 2, heads: 2, dModel: 16 }, 3);
  const before = liveTensors();
  for (
    const options of [{ temperature: 0 }, { temperature: 1, seed: 5 }, {
      temperature: 0.9,
      topK: 10,
      topP: 0.9,
      seed: 9,
    }]
  ) {
    const cached = await collect(
      generateTokens(model, [1, 2, 3], { ...options, maxNewTokens: 20, kvCache: true }),
    );
    const plain = await collect(
      generateTokens(model, [1, 2, 3], { ...options, maxNewTokens: 20, kvCache: false }),
    );
    assert.equal(cached.length, 20);
    assert.deepEqual(cached, plain);
  }
  assert.equal(liveTensors(), before, "generation leaks no tensors");
  model.dispose();
});

Deno.test("generate: seeded sampling is reproducible; EOS stops; abort stops", async () => {
  const model = new Gpt({ vocabSize: 30, blockSize: 32, layers: 1, heads: 2, dModel: 8 }, 4);
  const a = await collect(generateTokens(model, [0], { temperature: 1.5, seed: 1, maxNewTokens: 15 }));
  const b = await collect(generateTokens(model, [0], { temperature: 1.5, seed: 1, maxNewTokens: 15 }));
  const c = await collect(generateTokens(model, [0], { temperature: 1.5, seed: 2, maxNewTokens: 15 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const stopAt = a[3];
  const cut = await collect(
    generateTokens(model, [0], { temperature: 1.5, seed: 1, maxNewTokens: 15, eosId: stopAt }),
  );
  assert.deepEqual(cut, a.slice(0, a.indexOf(stopAt) + 1));
  const controller = new AbortController();
  const got: number[] = [];
  for await (
    const t of generateTokens(model, [0], { seed: 1, maxNewTokens: 15, signal: controller.signal })
  ) {
    got.push(t);
    if (got.length === 2) controller.abort();
  }
  assert.equal(got.length, 2);
  model.dispose();
});

Deno.test("generate: temperature 0 is argmax; top-k and top-p keep only the likeliest tokens", () => {
  const logits = Float32Array.from([0, 3, 1, 2.9, -5]);
  assert.equal(sampleToken(logits, { temperature: 0 }, new Rng(1)), 1);
  const rng = new Rng(2);
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { temperature: 1, topK: 2 }, rng));
  assert.deepEqual([...seen].sort(), [1, 3]);
  // p(1) ≈ 0.47, p(3) ≈ 0.43: top-p 0.5 keeps tokens 1 and 3 only; top-p 0.3 keeps token 1 only.
  seen.clear();
  for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.5 }, rng));
  assert.deepEqual([...seen].sort(), [1, 3]);
  seen.clear();
  for (let i = 0; i < 50; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.3 }, rng));
  assert.deepEqual([...seen], [1]);
});
