/**
 * Chat streaming overhead: time-to-first-token and per-token cost our server adds over the model
 * server (the Gemini-protocol stub), on embedded PGlite and on PostgreSQL (`BENCH_ENGINES`), and N concurrent streaming chats with their error count and
 * p50/p99. The app runs in its own process; the stub and the load generator share this one.
 */
import { ApiClient } from "../tests/_helpers/api_client.ts";
import { startGeminiStub } from "../tests/stubs/gemini_server.ts";
import {
  type PostgresCluster,
  postgresMissing,
  startPostgresCluster,
} from "../tests/_helpers/postgres_cluster.ts";
import { percentile, spawnApp, table } from "./_lib/load.ts";

const TOKENS = 64;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 30);
const CONCURRENT = Number(Deno.env.get("BENCH_CONCURRENT") ?? 100);
const decoder = new TextDecoder();

/** Reads an SSE response; returns ms to the first chunk containing `marker`, ms to the end, and the body. */
async function timeStream(start: number, res: Response, marker: string) {
  const reader = res.body!.getReader();
  let first = NaN;
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (Number.isNaN(first) && text.includes(marker)) first = performance.now() - start;
  }
  return { first, total: performance.now() - start, text };
}

const stub = await startGeminiStub({ apiKey: "bench-key", replyTokens: TOKENS, recordLimit: 10 });
// Abuse limits off: this measures the streaming path, and the rounds would exceed them by design.
const APP_ENV = {
  GEMINI_API_KEY: "bench-key",
  GEMINI_BASE_URL: stub.url,
  LOG_LEVEL: "warn",
  RATE_LIMIT_MESSAGES: "off",
  RATE_LIMIT_CONVERSATIONS: "off",
  DAILY_TOKEN_BUDGET: "0",
  RATE_LIMIT_MESSAGES_IP: "off",
  MAX_STREAMS_PER_SESSION: "0",
};
const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const p99 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 99);

/**
 * Time to the first token of `POST /api/conversations/:id/messages` (a new user message in a fresh
 * conversation each round: load, lock, store the user message and the reply row, call the model)
 * against the same request sent to the stub directly, alternating in one loop.
 */
async function overhead(appUrl: string) {
  const direct = { first: [] as number[], total: [] as number[] };
  const viaApp = { first: [] as number[], total: [] as number[] };
  const client = new ApiClient(appUrl);
  for (let i = 0; i < ROUNDS + 3; i++) {
    const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
      method: "POST",
      json: {},
    });
    const t0 = performance.now();
    const d = await timeStream(
      t0,
      await fetch(`${stub.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": "bench-key" },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: `bench ${i}` }] }] }),
      }),
      '"text"',
    );
    const t1 = performance.now();
    const a = await timeStream(
      t1,
      await client.fetch(`/api/conversations/${conv.id}/messages`, {
        method: "POST",
        json: { content: `bench ${i}` },
      }),
      "event: token",
    );
    if (!a.text.includes("event: done")) throw new Error(`stream failed: ${a.text.slice(-200)}`);
    if (i >= 3) { // warm-up rounds excluded
      direct.first.push(d.first), direct.total.push(d.total);
      viaApp.first.push(a.first), viaApp.total.push(a.total);
    }
  }
  return { direct, viaApp };
}

const engines = (Deno.env.get("BENCH_ENGINES") ?? "pglite,postgres").split(",").map((e) => e.trim());
console.log(`### Overhead over the model server (${TOKENS}-token replies, ${ROUNDS} rounds)\n`);
const overheadRows: (string | number)[][] = [];
for (const engine of engines) {
  let cluster: PostgresCluster | null = null;
  if (engine === "postgres") {
    const missing = postgresMissing();
    if (missing) {
      console.log(`PostgreSQL row skipped: ${missing}\n`);
      continue;
    }
    cluster = await startPostgresCluster();
  }
  const app = await spawnApp({ ...APP_ENV, ...(cluster ? { DATABASE_URL: cluster.url } : {}) });
  try {
    const { direct, viaApp } = await overhead(app.url);
    overheadRows.push(
      [`${engine}: stub directly`, med(direct.first), p99(direct.first), med(direct.total)],
      [`${engine}: through the app`, med(viaApp.first), p99(viaApp.first), med(viaApp.total)],
      [
        `${engine}: **added by the app**`,
        med(viaApp.first) - med(direct.first),
        p99(viaApp.first) - p99(direct.first),
        med(viaApp.total) - med(direct.total),
      ],
    );
    const perToken = (med(viaApp.total) - med(direct.total) - (med(viaApp.first) - med(direct.first))) /
      TOKENS;
    console.log(`${engine}: per-token overhead added by the app ${perToken.toFixed(3)} ms`);
  } finally {
    await app.stop();
    await cluster?.destroy();
  }
}
console.log();
console.log(table(["path", "first token p50 ms", "first token p99 ms", "whole reply p50 ms"], overheadRows));
console.log(
  "\nThe app's first-token time includes loading the conversation and storing the user and assistant rows" +
    " (per-token: SSE re-encoding, DB progress saves every 250 ms).\n",
);

const app = await spawnApp(APP_ENV);
try {
  // N concurrent chats, each its own session and conversation.
  const clients = Array.from({ length: CONCURRENT }, () => new ApiClient(app.url));
  const convs = await Promise.all(
    clients.map(async (c) =>
      (await c.json<{ id: string }>("/api/conversations", { method: "POST", json: {} })).body.id
    ),
  );
  let errors = 0;
  const firsts: number[] = [];
  const totals: number[] = [];
  const t0 = performance.now();
  await Promise.all(clients.map(async (c, i) => {
    const start = performance.now();
    try {
      const res = await c.fetch(`/api/conversations/${convs[i]}/messages`, {
        method: "POST",
        json: { content: `hello ${i}` },
      });
      const r = await timeStream(start, res, "event: token");
      if (res.status !== 200 || !r.text.includes("event: done")) errors++;
      firsts.push(r.first);
      totals.push(r.total);
    } catch {
      errors++;
    }
  }));
  const wall = performance.now() - t0;
  firsts.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  console.log(`### ${CONCURRENT} concurrent streaming chats (${TOKENS} tokens each)\n`);
  console.log(
    table([
      "streams",
      "errors",
      "first token p50 ms",
      "first token p99 ms",
      "whole reply p50 ms",
      "whole reply p99 ms",
      "wall s",
    ], [
      [
        CONCURRENT,
        errors,
        percentile(firsts, 50),
        percentile(firsts, 99),
        percentile(totals, 50),
        percentile(totals, 99),
        wall / 1000,
      ],
    ]),
  );
} finally {
  await app.stop();
  await stub.close();
}
