/**
 * The local model's adapters (`lib/chat/local_host.ts`) on the committed checkpoint (`models/local`): loading
 * the base vs. reading an adapter the first time vs. switching adapters per request, and generation speed
 * (greedy, 64 tokens) of the merged checkpoint (how `local-tiny` ran before) and the same adapter unmerged
 * over the shared base (how every adapter runs now, so one base serves all). Trials are interleaved in one run.
 */
import { initBackend } from "../ml/backend.ts";
import { loadCheckpoint } from "../ml/checkpoint.ts";
import { generateTokens } from "../ml/generate.ts";
import type { Gpt } from "../ml/model.ts";
import { LocalModelHost } from "../lib/chat/local_host.ts";
import { localPrompt } from "../lib/chat/local_prompt.ts";
import { table } from "./_lib/load.ts";

const DIR = new URL("../models/local", import.meta.url).pathname;
const TOKENS = 64;
const TRIALS = Number(Deno.env.get("BENCH_TRIALS") ?? 3);
await initBackend();

const t0 = performance.now();
const host = await LocalModelHost.load(DIR);
const loadMs = performance.now() - t0;
const adapter = { name: "copy", dir: `${DIR}/adapter` };
const t1 = performance.now();
await host.use(adapter);
const firstUseMs = performance.now() - t1;
const SWITCHES = 200;
const t2 = performance.now();
for (let i = 0; i < SWITCHES; i++) await host.use(i % 2 ? adapter : null);
const switchMs = (performance.now() - t2) / SWITCHES;

const prompt =
  localPrompt("alpaca", [{ role: "user", content: "Give three tips for staying healthy." }]).prompt;
const merged = await loadCheckpoint(DIR);

/** Tokens/s of 64 greedy tokens (no EOS stop, so every trial produces all of them). */
async function tokensPerSec(model: Gpt): Promise<number> {
  const ids = merged.tokenizer.encode(prompt).slice(-(model.config.blockSize - 8));
  const start = performance.now();
  let n = 0;
  for await (const _ of generateTokens(model, ids, { temperature: 0, maxNewTokens: TOKENS })) n++;
  return n / ((performance.now() - start) / 1000);
}

await host.use(adapter);
const mergedTokensPerSec = () => tokensPerSec(merged.model);
const hostTokensPerSec = () => tokensPerSec(host.model);

const rates: Record<string, number[]> = { merged: [], unmerged: [] };
await mergedTokensPerSec(); // warm-up of both paths (kernels, caches)
await hostTokensPerSec();
for (let t = 0; t < TRIALS; t++) {
  if (t % 2) rates.unmerged.push(await hostTokensPerSec());
  rates.merged.push(await mergedTokensPerSec());
  if (t % 2 === 0) rates.unmerged.push(await hostTokensPerSec());
}
const best = (xs: number[]) => Math.max(...xs);

console.log(table(["step", "ms"], [
  ["load the base (once per Worker)", loadMs],
  ["read an adapter (once per adapter)", firstUseMs],
  ["switch adapter (per request)", switchMs],
]));
console.log();
console.log(
  table(["generation (greedy, 64 tokens, best of " + TRIALS + ")", "tokens/s", "vs merged"], [
    ["merged checkpoint (before)", best(rates.merged), 1],
    [
      "adapter unmerged over the shared base (now)",
      best(rates.unmerged),
      best(rates.unmerged) / best(rates.merged),
    ],
  ]),
);
host.dispose();
merged.model.dispose();
