/**
 * `deno task bench chat-providers`: cost of the provider layer (`@google/genai` + GeminiProvider)
 * over reading the same SSE stream with a bare fetch, and 100 concurrent streams of each, against
 * the Gemini stub running in its own process (so its CPU is not charged to the client). Prints
 * Markdown tables; ratios come from this one run.
 * Sizes via env: BENCH_STREAMS (sequential streams per mode, default 200), BENCH_TOKENS (64).
 */
import { spawnListening } from "../tests/_helpers/child_process.ts";
import { GeminiProvider } from "../lib/chat/gemini.ts";
import { stubReplyText } from "../tests/stubs/gemini_server.ts";
import {
  concurrently,
  median as med,
  pct,
  type StreamSample as Sample,
  timeProvider,
  timeSse,
} from "./_lib/streams.ts";

const STREAMS = Number(Deno.env.get("BENCH_STREAMS") ?? 200);
const TOKENS = Number(Deno.env.get("BENCH_TOKENS") ?? 64);
const CONCURRENT = 100;

const child = await spawnListening(new URL("../tests/stubs/gemini_server.ts", import.meta.url), {
  args: ["--port", "0", "--tokens", String(TOKENS)],
});
const url = child.url;
const stub = {
  url,
  apiKey: "test-key",
  async setOptions(o: { tokenDelayMs?: number }) {
    await (await fetch(`${url}/__stub/options`, { method: "POST", body: JSON.stringify(o) })).body?.cancel();
  },
};
const provider = new GeminiProvider({ apiKey: stub.apiKey, baseUrl: stub.url });
const prompt = "benchmark the provider layer please";
const expected = stubReplyText(prompt, TOKENS);

async function rawStream(): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(`${stub.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "x-goog-api-key": stub.apiKey, "content-type": "application/json" },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
  });
  return timeSse(
    t0,
    res,
    "\r\n\r\n",
    (data) => JSON.parse(data).candidates[0].content.parts[0].text,
    expected,
  );
}

function providerStream(): Promise<Sample> {
  return timeProvider(provider, prompt, expected);
}

/** Runs the two clients alternately (A/B pairs), so load drift on a shared machine hits both alike. */
async function interleaved(): Promise<[Sample[], Sample[]]> {
  for (let i = 0; i < 20; i++) {
    await rawStream(); // warm-up
    await providerStream();
  }
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < STREAMS; i++) {
    a.push(await rawStream());
    b.push(await providerStream());
  }
  return [a, b];
}

const [raw, prov] = await interleaved();

console.log(
  `Sequential streams against the stub (${STREAMS} per mode, ${TOKENS} tokens each, no token delay)\n`,
);
console.log("| client | TTFT p50 ms | TTFT p99 ms | stream p50 ms | stream p99 ms | per-token p50 µs |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (
  const [name, s] of [["bare fetch + SSE parse", raw], ["GeminiProvider (@google/genai)", prov]] as const
) {
  console.log(
    `| ${name} | ${med(s, "ttftMs").toFixed(2)} | ${pct(s.map((x) => x.ttftMs), 99).toFixed(2)} | ${
      med(s, "totalMs").toFixed(2)
    } | ${pct(s.map((x) => x.totalMs), 99).toFixed(2)} | ${
      ((med(s, "totalMs") / TOKENS) * 1000).toFixed(1)
    } |`,
  );
}
const overheadPerToken = ((med(prov, "totalMs") - med(raw, "totalMs")) / TOKENS) * 1000;
console.log(
  `\nProvider/bare ratio: TTFT ×${(med(prov, "ttftMs") / med(raw, "ttftMs")).toFixed(2)}, whole stream ×${
    (med(prov, "totalMs") / med(raw, "totalMs")).toFixed(2)
  }; added per token ≈ ${overheadPerToken.toFixed(1)} µs (p50 difference / tokens).\n`,
);

await stub.setOptions({ tokenDelayMs: 5 });
console.log(
  `${CONCURRENT} concurrent streams (${TOKENS} tokens, stub token delay 5 ms; ideal stream ≈ ${
    TOKENS * 5
  } ms)\n`,
);
console.log(
  "| client | streams | errors | TTFT p50 ms | TTFT p99 ms | stream p50 ms | stream p99 ms | wall ms |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
let errors = 0;
for (
  const [name, fn] of [["bare fetch + SSE parse", rawStream], [
    "GeminiProvider (@google/genai)",
    providerStream,
  ]] as const
) {
  const { ok, errors: failed, wallMs: wall } = await concurrently(fn, CONCURRENT);
  errors += failed;
  console.log(
    `| ${name} | ${CONCURRENT} | ${failed} | ${med(ok, "ttftMs").toFixed(1)} | ${
      pct(ok.map((x) => x.ttftMs), 99).toFixed(1)
    } | ${med(ok, "totalMs").toFixed(1)} | ${pct(ok.map((x) => x.totalMs), 99).toFixed(1)} | ${
      wall.toFixed(0)
    } |`,
  );
}
await child.stop();
if (errors > 0) Deno.exit(1);
