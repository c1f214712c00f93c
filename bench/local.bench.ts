/**
 * The local model as the chat serves it (`createLocalProvider` on the committed checkpoint in
 * `models/local`, its Workers generating): tokens/s of one reply alone, and the aggregate tokens/s
 * of 2 concurrent replies with a pool of 1 Worker (one at a time) and of 2 Workers (at once),
 * measured in one run. Greedy decoding and a fixed token count, so every reply does the same work.
 */
import { createLocalProvider, type LocalProvider } from "../lib/chat/local.ts";
import { table } from "./_lib/load.ts";

const TOKENS = Number(Deno.env.get("BENCH_TOKENS") ?? 64);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 7);
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

const perReply: number[] = [];
const providers = [1, 2].map((workers) =>
  createLocalProvider({
    modelDir,
    maxNewTokens: TOKENS,
    temperature: 0,
    seed: 1,
    workers,
    onReply: (s) => perReply.push(s.tokensPerSecond),
  })
);
// Every case once per round, alternating, so all of them see the same machine load; medians.
const rates = providers.map(() => ({ alone: [] as number[], two: [] as number[] }));
try {
  await Promise.all(providers.map((p) => p.allReady()));
  for (const p of providers) await replies(p, 2); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, p] of providers.entries()) {
      const alone = await replies(p, 1);
      rates[i].alone.push(alone.tokens / (alone.ms / 1000));
      const two = await replies(p, 2);
      rates[i].two.push(two.tokens / (two.ms / 1000));
    }
  }
} finally {
  for (const p of providers) await p.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = providers.map((p, i) => {
  const alone = median(rates[i].alone);
  const two = median(rates[i].two);
  return [p.workers, alone, two, two / alone];
});
console.log(`### Local model generation (${TOKENS} tokens a reply, greedy, medians of ${ROUNDS} rounds)\n`);
console.log(
  table(["Workers", "1 reply: tokens/s", "2 concurrent replies: aggregate tokens/s", "2 vs 1"], rows),
);
perReply.sort((a, b) => a - b);
console.log(
  `\nPer-reply tokens/s as logged by the server ("local model reply"): median ${
    perReply[perReply.length >> 1].toFixed(1)
  } over ${perReply.length} replies. Cores: ${navigator.hardwareConcurrency}.\n`,
);
