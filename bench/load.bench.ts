/**
 * Load: N concurrent streaming chats against the Gemini stub for T seconds on loopback, then a
 * memory run of M requests. The app runs as `deno task start` runs it (its own process, via
 * `spawnApp`), the stub in a second process, this process generates the load. Reports completed
 * streams, errors (must be 0), time to first token (p50/p99, measured at the client from sending
 * the request to receiving the first `token` event), and the server's resident memory before,
 * after, and every M/10 requests of the memory run with the fitted growth per 1,000 requests.
 *
 * Environment: BENCH_STREAMS (200), BENCH_SECONDS (60), BENCH_TOKENS (reply tokens, 20),
 * BENCH_TOKEN_DELAY_MS (stub delay per token, 20), BENCH_MEMORY_REQUESTS (10000),
 * BENCH_DB (`postgres` when PostgreSQL binaries exist, else `pglite`). Rate limits and the stream
 * cap are switched off for the app under test (they would otherwise refuse the load by design).
 */
import { type ListeningChild, spawnListening } from "../tests/_helpers/child_process.ts";
import { percentile, spawnApp, table } from "./_lib/load.ts";
import { openDatabase } from "../lib/db/mod.ts";
import { PostgresRateLimiter } from "../lib/security/rate_limit.ts";
import {
  type PostgresCluster,
  postgresMissing,
  startPostgresCluster,
} from "../tests/_helpers/postgres_cluster.ts";

const STREAMS = Number(Deno.env.get("BENCH_STREAMS") ?? 200);
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 60);
const TOKENS = Number(Deno.env.get("BENCH_TOKENS") ?? 20);
const TOKEN_DELAY_MS = Number(Deno.env.get("BENCH_TOKEN_DELAY_MS") ?? 20);
const MEMORY_REQUESTS = Number(Deno.env.get("BENCH_MEMORY_REQUESTS") ?? 10_000);
const DB = Deno.env.get("BENCH_DB") ?? (postgresMissing() === null ? "postgres" : "pglite");
const KEY = "bench-load-key-0001";
/** A conversation gets a fresh one after this many messages, so prompts stay short. */
const MESSAGES_PER_CONVERSATION = 10;

/** Resident set size of `pid` in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Starts the stub as a child process; returns its URL and a stop function. */
function spawnStub(): Promise<ListeningChild> {
  return spawnListening(new URL("../tests/stubs/gemini_server.ts", import.meta.url), {
    args: ["--port", "0", "--api-key", KEY, "--tokens", String(TOKENS), "--delay-ms", String(TOKEN_DELAY_MS)],
  });
}

/** One simulated browser: its own session cookie and conversation. */
class Chatter {
  cookie = "";
  conversation = "";
  sent = 0;
  constructor(readonly base: string) {}

  async request(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    const res = await fetch(this.base + path, {
      ...init,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    return res;
  }

  /** Sends one message; resolves with the time to the first token (ms) or throws. */
  async chat(): Promise<number> {
    if (!this.conversation || this.sent % MESSAGES_PER_CONVERSATION === 0) {
      const res = await this.request("/api/conversations", { method: "POST", json: {} });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
      this.conversation = (await res.json()).id;
    }
    this.sent++;
    const t0 = performance.now();
    const res = await this.request(`/api/conversations/${this.conversation}/messages`, {
      method: "POST",
      json: { content: `load test message number ${this.sent}` },
    });
    if (res.status !== 200) throw new Error(`messages: ${res.status} ${await res.text()}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let ttft = NaN;
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      if (Number.isNaN(ttft) && text.includes("event: token")) ttft = performance.now() - t0;
    }
    if (!/event: done\ndata: \{[^\n]*"status":"complete"/.test(text)) {
      throw new Error(`stream did not complete: ${text.slice(-200)}`);
    }
    return ttft;
  }
}

let cluster: PostgresCluster | null = null;
const stub = await spawnStub();
try {
  const env: Record<string, string> = {
    GEMINI_API_KEY: KEY,
    GEMINI_BASE_URL: stub.url,
    LOG_LEVEL: "error",
    RATE_LIMIT_MESSAGES: "off",
    RATE_LIMIT_CONVERSATIONS: "off",
    DAILY_TOKEN_BUDGET: "0",
    RATE_LIMIT_MESSAGES_IP: "off",
    MAX_STREAMS_PER_SESSION: "0",
  };
  if (DB === "postgres") {
    cluster = await startPostgresCluster();
    env.DATABASE_URL = cluster.url;
    env.DATABASE_POOL_MAX = "20";
  }
  const app = await spawnApp(env);
  try {
    // Warm-up: JIT, connection pools, the first conversation rows.
    await Promise.all(Array.from({ length: 8 }, () => new Chatter(app.url).chat()));
    const rssBefore = rssMiB(app.pid);

    // Phase 1: N concurrent chats for T seconds.
    const ttfts: number[] = [];
    const errors: string[] = [];
    let peakRss = rssBefore;
    const sampler = setInterval(() => peakRss = Math.max(peakRss, rssMiB(app.pid)), 500);
    const end = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(Array.from({ length: STREAMS }, async () => {
      const chatter = new Chatter(app.url);
      while (performance.now() < end) {
        try {
          ttfts.push(await chatter.chat());
        } catch (e) {
          errors.push(String((e as Error).message ?? e));
        }
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const rssAfter = rssMiB(app.pid);
    ttfts.sort((a, b) => a - b);

    console.log(
      `### ${STREAMS} concurrent streaming chats for ${SECONDS} s (${TOKENS} tokens per reply, ` +
        `${TOKEN_DELAY_MS} ms per token at the stub, database: ${DB})\n`,
    );
    console.log(table(
      [
        "completed streams",
        "streams/s",
        "errors",
        "TTFT p50 ms",
        "TTFT p99 ms",
        "RSS before MiB",
        "RSS peak MiB",
        "RSS after MiB",
      ],
      [[
        ttfts.length,
        ttfts.length / elapsed,
        errors.length,
        percentile(ttfts, 50),
        percentile(ttfts, 99),
        rssBefore,
        peakRss,
        rssAfter,
      ]],
    ));
    if (errors.length) console.log(`\nfirst errors: ${[...new Set(errors)].slice(0, 5).join(" | ")}`);
    console.log(
      `\nFloor: the stub's first token comes after ${TOKEN_DELAY_MS} ms; a whole reply takes at least ` +
        `${TOKENS * TOKEN_DELAY_MS} ms. Server, stub, database and load generator share ` +
        `${navigator.hardwareConcurrency} cores.`,
    );

    // Phase 2: memory across MEMORY_REQUESTS requests (one third streaming chats, the rest list/read).
    const step = Math.max(1, Math.floor(MEMORY_REQUESTS / 10));
    const samples: [number, number][] = [[0, rssMiB(app.pid)]];
    let done = 0;
    let memErrors = 0;
    const concurrency = Math.min(50, STREAMS);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      const chatter = new Chatter(app.url);
      while (done < MEMORY_REQUESTS) {
        const n = ++done;
        try {
          if (n % 3 === 0 || !chatter.conversation) await chatter.chat();
          else {
            const res = await chatter.request(
              n % 3 === 1 ? "/api/conversations" : `/api/conversations/${chatter.conversation}`,
            );
            if (res.status !== 200) memErrors++;
            await res.arrayBuffer();
          }
        } catch {
          memErrors++;
        }
        if (n % step === 0) samples.push([n, rssMiB(app.pid)]);
      }
    }));
    const tail = samples.slice(Math.floor(samples.length / 2));
    const slope = fitSlope(tail) * 1000;
    console.log(
      `\n### Server memory across ${MEMORY_REQUESTS} requests (${concurrency} clients, 1/3 streaming chats)\n`,
    );
    console.log(table(["requests", "RSS MiB"], samples.sort((a, b) => a[0] - b[0])));
    console.log(
      `\nerrors: ${memErrors}; fitted growth over the second half: ${
        slope.toFixed(3)
      } MiB per 1,000 requests ` +
        `(${samples.at(-1)![1] - samples[Math.floor(samples.length / 2)][1] >= 0 ? "+" : ""}${
          (samples.at(-1)![1] - samples[Math.floor(samples.length / 2)][1]).toFixed(1)
        } MiB from request ${samples[Math.floor(samples.length / 2)][0]} to ${samples.at(-1)![0]}).`,
    );
  } finally {
    await app.stop();
  }
  if (cluster) await rateLimitCost(cluster.url);
} finally {
  await stub.stop();
  await cluster?.destroy();
}

/** Least-squares slope of y over x. */
function fitSlope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** What one rate-limit check costs: a take of a session and an IP bucket (one upsert), in ms. */
async function rateLimitCost(url: string): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "mc-bench-rl-" });
  const db = await openDatabase({ databaseUrl: url, dataDir, poolMax: 10 });
  try {
    const limiter = new PostgresRateLimiter(db.sql, {
      policies: { msg: { capacity: 1e9, refillPerSecond: 1 }, msg_ip: { capacity: 1e9, refillPerSecond: 1 } },
    });
    const rows: (string | number)[][] = [];
    for (const concurrency of [1, 50]) {
      const n = concurrency === 1 ? 1000 : 5000;
      const times: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
        while (next++ < n) {
          const t0 = performance.now();
          await limiter.takeAll([`msg:s${w}-${next % 100}`, `msg_ip:10.0.${w}.1`], 1);
          times.push(performance.now() - t0);
        }
      }));
      const secs = (performance.now() - started) / 1000;
      times.sort((a, b) => a - b);
      rows.push([
        concurrency,
        times.length,
        times.length / secs,
        percentile(times, 50),
        percentile(times, 99),
      ]);
    }
    console.log(
      "\n### Cost of one rate-limit check (session + IP bucket, one upsert, PostgreSQL 15 on loopback)\n",
    );
    console.log(table(["concurrent callers", "checks", "checks/s", "p50 ms", "p99 ms"], rows));
  } finally {
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}
