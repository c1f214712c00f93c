/**
 * Voice latency: time from the end of a 600-character reply to the first audio byte at the
 * client, through our server (the whole app in its own process, `POST /api/tts`, the real ElevenLabs
 * SDK, the ElevenLabs protocol stub), with and without sentence splitting. Also the time until all audio
 * has arrived. The stub's latency model is stated in each table: ElevenLabs' real timing is not
 * measured here, so the ratio depends on how synthesis time grows with text length.
 *
 * `deno task bench voice` (or `deno run -A bench/voice.bench.ts [--runs N]`).
 */
import { SpeechPlayer } from "../lib/voice/client/player.ts";
import { requestSpeech } from "../lib/voice/client/api.ts";
import { startElevenLabsStub } from "../tests/stubs/elevenlabs_server.ts";
import { spawnApp } from "./_lib/load.ts";

const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 3;

/** A deterministic ~600-character assistant reply (Markdown, as the model writes it). */
const REPLY = [
  "Good question! LoRA freezes the pretrained weights and learns a low-rank update instead.",
  "For a weight matrix W of size d by k, it adds B times A, where B is d by r and A is r by k.",
  "With r = 8 and d = k = 4096, that is about 65 thousand trainable numbers instead of 16.7 million.",
  "During training only A and B receive gradients, so optimizer state shrinks by the same factor.",
  "At inference you can merge B·A into W, e.g. for serving, and pay no extra latency at all.",
  "**Tip:** start with alpha = 2r and tune the rank only if quality falls short on your own data.",
  "Want a worked example with real numbers? Just ask.",
].join(" ");

interface Model {
  name: string;
  latencyMs: number;
  msPerChar: number;
  chunkDelayMs: number;
}

/** Latency models of the stub: synthesis time grows with text length, or does not. */
const MODELS: Model[] = [
  {
    name: "length-dependent: 150 ms + 2 ms/char to first byte, then 50 ms per ~1 s of audio",
    latencyMs: 150,
    msPerChar: 2,
    chunkDelayMs: 50,
  },
  {
    name: "fixed: 300 ms to first byte, then 50 ms per ~1 s of audio",
    latencyMs: 300,
    msPerChar: 0,
    chunkDelayMs: 50,
  },
];

interface Sample {
  firstByteMs: number;
  allAudioMs: number;
  requests: number;
  bytes: number;
}

/**
 * One reply: starts at "reply end" (t0), requests the player's chunks with the player's pipelining
 * (the first plus `prefetch` ahead, each next one as soon as one finishes), and times the first
 * byte of the first chunk and the last byte of all audio.
 */
async function once(url: string, split: boolean): Promise<Sample> {
  const player = new SpeechPlayer({ baseUrl: url, split, fallback: null });
  const t0 = performance.now();
  const chunks = player.chunksOf(REPLY);
  let firstByteMs = -1;
  let bytes = 0;
  const prefetch = 2;
  const fetchOne = async (i: number) => {
    const res = await requestSpeech(chunks[i], { baseUrl: url });
    const reader = res.body!.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (i === 0 && firstByteMs < 0) firstByteMs = performance.now() - t0;
      bytes += value.length;
    }
  };
  // Same request pattern as SpeechPlayer: up to 1 + prefetch requests in flight, in order.
  let next = 0;
  const lanes = Array.from({ length: Math.min(1 + prefetch, chunks.length) }, async () => {
    while (next < chunks.length) await fetchOne(next++);
  });
  await Promise.all(lanes);
  return { firstByteMs, allAudioMs: performance.now() - t0, requests: chunks.length, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

console.log(`Reply: ${REPLY.length} characters; ${RUNS} runs per row, median shown.\n`);
// 40 frames = 3840 bytes = 0.96 s of audio per streamed chunk.
const stub = await startElevenLabsStub({ apiKey: "bench-key", framesPerChunk: 40 });
// The whole app in its own process, as `deno task start` runs it; the voice rate limits are off so the
// runs measure latency, not the limiter.
const app = await spawnApp({
  ELEVENLABS_API_KEY: "bench-key",
  ELEVENLABS_BASE_URL: stub.url,
  RATE_LIMIT_TTS: "off",
  RATE_LIMIT_TTS_IP: "off",
});
try {
  for (const model of MODELS) {
    stub.setLatency(model);
    await once(app.url, true); // warm-up (JIT, connections)
    const rows: Array<[string, Sample[]]> = [];
    for (const split of [false, true]) {
      const samples: Sample[] = [];
      for (let r = 0; r < RUNS; r++) samples.push(await once(app.url, split));
      rows.push([split ? "sentence split (prefetch 2)" : "whole reply, one request", samples]);
    }
    const base = median(rows[0][1].map((s) => s.firstByteMs));
    console.log(`### Stub latency model: ${model.name}\n`);
    console.log(
      "| mode | requests | first audio byte (ms) | all audio (ms) | audio bytes | first byte vs whole reply |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const [name, samples] of rows) {
      const first = median(samples.map((s) => s.firstByteMs));
      console.log(
        `| ${name} | ${samples[0].requests} | ${first.toFixed(0)} | ${
          median(samples.map((s) => s.allAudioMs)).toFixed(0)
        } | ${samples[0].bytes} | ${(first / base).toFixed(2)}× |`,
      );
    }
    console.log("");
  }
} finally {
  await app.stop();
  await stub.close();
}
