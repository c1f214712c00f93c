/**
 * `deno task bench openai-provider`: cost of the OpenAI-compatible provider layer (the `openai` SDK +
 * OpenAICompatibleProvider, and the same behind the ProviderRegistry that routes by model id) over
 * reading the same SSE stream with a bare fetch, then 100 concurrent streams of each, against the
 * OpenAI stub in its own process (its CPU is not charged to the client). Prints Markdown tables;
 * ratios come from this one run. Sizes via env: BENCH_STREAMS (sequential streams per client,
 * default 200), BENCH_TOKENS (reply chunks, default 64).
 */
import { OpenAICompatibleProvider } from "../lib/chat/openai.ts";
import type { ChatProvider } from "../lib/chat/provider.ts";
import { ProviderRegistry } from "../lib/chat/registry.ts";
import { spawnListening } from "../tests/_helpers/child_process.ts";
import {
  concurrently,
  median as med,
  pct,
  type StreamSample as Sample,
  timeProvider,
  timeSse,
} from "./_lib/streams.ts";
import { openAIStubReply } from "../tests/stubs/openai_server.ts";

const STREAMS = Number(Deno.env.get("BENCH_STREAMS") ?? 200);
const TOKENS = Number(Deno.env.get("BENCH_TOKENS") ?? 64);
const CONCURRENT = 100;
const DELAY_MS = 5;

// "Echo:" plus one chunk per word: TOKENS - 1 words make TOKENS chunks.
const prompt = Array.from({ length: TOKENS - 1 }, (_, i) => `w${i}`).join(" ");
const expected = openAIStubReply(prompt);

async function clients(url: string) {
  const provider = new OpenAICompatibleProvider({
    id: "bench",
    label: "Bench",
    baseUrl: url,
    defaultModel: "stub-chat",
  });
  const registry = new ProviderRegistry([provider]);
  await registry.listModels(); // warm the model-list cache, as a running server has it

  const raw = async (): Promise<Sample> => {
    const t0 = performance.now();
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "stub-chat",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: prompt }],
      }),
    });
    return timeSse(
      t0,
      res,
      "\n\n",
      (data) => data === "[DONE]" ? "" : JSON.parse(data).choices[0]?.delta?.content ?? "",
      expected,
    );
  };

  const through = (p: ChatProvider, model: string) => (): Promise<Sample> =>
    timeProvider(p, prompt, expected, model);
  return [
    ["bare fetch + SSE parse", raw],
    ["OpenAICompatibleProvider (openai SDK)", through(provider, "stub-chat")],
    ["ProviderRegistry → provider", through(registry, "bench:stub-chat")],
  ] as const;
}

const fast = await spawnListening(new URL("../tests/stubs/openai_server.ts", import.meta.url), {
  args: ["--port", "0", "--models", "stub-chat"],
});
const slow = await spawnListening(new URL("../tests/stubs/openai_server.ts", import.meta.url), {
  args: ["--port", "0", "--models", "stub-chat", "--delay-ms", String(DELAY_MS)],
});
try {
  const list = await clients(fast.url);
  for (let i = 0; i < 20; i++) for (const [, fn] of list) await fn(); // warm-up
  const samples: Sample[][] = list.map(() => []);
  // Interleaved: load drift on a shared machine hits every client alike.
  for (let i = 0; i < STREAMS; i++) for (const [k, [, fn]] of list.entries()) samples[k].push(await fn());

  console.log(
    `Sequential streams against the stub (${STREAMS} per client, ${TOKENS} chunks each, no delay)\n`,
  );
  console.log("| client | TTFT p50 ms | TTFT p99 ms | stream p50 ms | stream p99 ms |");
  console.log("| --- | --- | --- | --- | --- |");
  list.forEach(([name], k) => {
    const s = samples[k];
    console.log(
      `| ${name} | ${med(s, "ttftMs").toFixed(2)} | ${pct(s.map((x) => x.ttftMs), 99).toFixed(2)} | ${
        med(s, "totalMs").toFixed(2)
      } | ${pct(s.map((x) => x.totalMs), 99).toFixed(2)} |`,
    );
  });
  const [raw, prov, reg] = samples;
  console.log(
    `\nProvider/bare: TTFT ×${(med(prov, "ttftMs") / med(raw, "ttftMs")).toFixed(2)}, stream ×${
      (med(prov, "totalMs") / med(raw, "totalMs")).toFixed(2)
    } (≈ ${(((med(prov, "totalMs") - med(raw, "totalMs")) / TOKENS) * 1000).toFixed(1)} µs per chunk); ` +
      `registry/provider: stream ×${(med(reg, "totalMs") / med(prov, "totalMs")).toFixed(2)}.\n`,
  );

  const slowList = await clients(slow.url);
  console.log(
    `${CONCURRENT} concurrent streams (${TOKENS} chunks, stub delay ${DELAY_MS} ms; ideal ≈ ${
      TOKENS * DELAY_MS
    } ms)\n`,
  );
  console.log("| client | errors | TTFT p50 ms | stream p50 ms | stream p99 ms | wall ms |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [name, fn] of slowList) {
    const { ok, errors, wallMs: wall } = await concurrently(fn, CONCURRENT);
    console.log(
      `| ${name} | ${errors} | ${med(ok, "ttftMs").toFixed(1)} | ${med(ok, "totalMs").toFixed(1)} | ${
        pct(ok.map((x) => x.totalMs), 99).toFixed(1)
      } | ${wall.toFixed(0)} |`,
    );
  }
} finally {
  await fast.stop();
  await slow.stop();
}
