/**
 * The local model as the chat serves it (`createLocalProvider` on the committed checkpoint in
 * `models/local`, its Workers generating): tokens/s of one reply alone, and the aggregate tokens/s
 * of 2 concurrent replies with a pool of 1 Worker (one at a time) and of 2 Workers (at once),
 * measured in one run. Greedy decoding and a fixed token count, so every reply does the same work.
 */
import { createLocalProvider, type LocalProvider } from "../lib/chat/local.ts";
import { table } from "./_lib/load.ts";

const TOKENS = Number(Deno.env.get("BENCH_TOKENS") ?? 64);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const modelDir = new URL("../models/local", import.meta.url).pathname;

/** Runs `concurrent` replies at once; returns the completion tokens and the wall time, ms. */
async function replies(provider: LocalProvider, concurrent: number) {
  const t0 = performance.now();
  const counts = await Promise.all(Array.from({ length: concurrent }, async (_, i) => {
    let tokens = 0;
    for await (
      const c of provider.stream({
        history: [{ role: "user", content: `Describe the sea, part ${i}.` }],
        signal: new AbortController().signal,
      })
    ) if (c.type === "usage") tokens = c.completionTokens ?? 0;
    return tokens;
  }));
  return { tokens: counts.reduce((a, b) => a + b, 0), ms: performance.now() - t0 };
}

/** Best aggregate tokens/s over the rounds (after one warm-up). */
async function rate(provider: LocalProvider, concurrent: number): Promise<number> {
  await replies(provider, concurrent);
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const { tokens, ms } = await replies(provider, concurrent);
    best = Math.max(best, tokens / (ms / 1000));
  }
  return best;
}

const rows: (string | number)[][] = [];
const perReply: number[] = [];
for (const workers of [1, 2]) {
  const provider = createLocalProvider({
    modelDir,
    maxNewTokens: TOKENS,
    temperature: 0,
    seed: 1,
    workers,
    onReply: (s) => perReply.push(s.tokensPerSecond),
  });
  try {
    await provider.ready();
    const alone = await rate(provider, 1);
    const two = await rate(provider, 2);
    rows.push([workers, alone, two, two / alone]);
  } finally {
    await provider.close();
  }
}
console.log(`### Local model generation (${TOKENS} tokens a reply, greedy, best of ${ROUNDS})\n`);
console.log(
  table(["Workers", "1 reply: tokens/s", "2 concurrent replies: aggregate tokens/s", "2 vs 1"], rows),
);
perReply.sort((a, b) => a - b);
console.log(
  `\nPer-reply tokens/s as logged by the server ("local model reply"): median ${
    perReply[perReply.length >> 1].toFixed(1)
  } over ${perReply.length} replies. Cores: ${navigator.hardwareConcurrency}.\n`,
);
