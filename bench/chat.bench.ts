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
  // Every round creates a conversation per app: more than 240 rounds would meet the per-IP limit.
  RATE_LIMIT_CONVERSATIONS_IP: "off",
  MAX_STREAMS_PER_SESSION: "0",
};
const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const p99 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 99);

/** Timings of one path: first token and whole reply, ms. */
interface Timings {
  first: number[];
  total: number[];
}

/** An app under test: this checkout's, or a baseline checkout's (`BENCH_BASELINE_DIR`). */
interface Target {
  name: string;
  url: string;
  client: ApiClient;
  times: Timings;
}

/**
 * Time to the first token of `POST /api/conversations/:id/messages` (a new user message in a fresh
 * conversation each round: load, lock, store the user message and the reply row, call the model)
 * against the same request sent to the stub directly. Each round sends it to the stub, then to
 * every target in turn, so all of them see the same machine load; the targets' order flips every
 * round, because the one asked second starts while the first one (and the stub) still finish the
 * previous reply's work: with the same build as both targets, the second one measured 0.46 ms
 * slower at the median when the order was fixed (docs/performance.md, first token round four).
 */
async function overhead(targets: Target[]): Promise<Timings> {
  const direct: Timings = { first: [], total: [] };
  for (let i = 0; i < ROUNDS + 3; i++) {
    const convs = await Promise.all(
      targets.map(async (t) =>
        (await t.client.json<{ id: string }>("/api/conversations", { method: "POST", json: {} })).body.id
      ),
    );
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
    if (i >= 3) direct.first.push(d.first), direct.total.push(d.total); // warm-up rounds excluded
    const order = [...targets.keys()];
    if (i % 2 === 1) order.reverse();
    for (const k of order) {
      const t = targets[k];
      const t1 = performance.now();
      const a = await timeStream(
        t1,
        await t.client.fetch(`/api/conversations/${convs[k]}/messages`, {
          method: "POST",
          json: { content: `bench ${i}` },
        }),
        "event: token",
      );
      if (!a.text.includes("event: done")) throw new Error(`stream failed: ${a.text.slice(-200)}`);
      if (i >= 3) t.times.first.push(a.first), t.times.total.push(a.total);
    }
  }
  return direct;
}

/** Starts `main.ts` of another checkout (its own deno.json and node_modules) with `env`. */
async function spawnBaseline(dir: string, env: Record<string, string>) {
  const dataDir = await Deno.makeTempDir({ prefix: "mc-bench-base-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: dir,
    env: { PORT: "0", LISTEN_HOST: "127.0.0.1", DATA_DIR: dataDir, ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`baseline app exited before listening: ${out}`);
    out += value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return {
    url: /listening on (\S+)/.exec(out)![1],
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

const engines = (Deno.env.get("BENCH_ENGINES") ?? "pglite,postgres").split(",").map((e) => e.trim());
const baselineDir = Deno.env.get("BENCH_BASELINE_DIR");
console.log(
  `### Overhead over the model server (${TOKENS}-token replies, ${ROUNDS} rounds${
    baselineDir ? `, interleaved with the baseline in ${baselineDir}` : ""
  })\n`,
);
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
  const apps: { stop(): Promise<void> }[] = [];
  try {
    const targets: Target[] = [];
    const add = (name: string, url: string) =>
      targets.push({ name, url, client: new ApiClient(url), times: { first: [], total: [] } });
    // Each app its own database in the same cluster (made the same way, so neither is favoured).
    const database = async (name: string): Promise<Record<string, string>> => {
      if (!cluster) return {};
      await new Deno.Command("psql", { args: [cluster.url, "-qc", `create database ${name}`] }).output();
      return { DATABASE_URL: cluster.url.replace(/\/postgres$/, `/${name}`) };
    };
    if (baselineDir) {
      const base = await spawnBaseline(baselineDir, { ...APP_ENV, ...await database("baseline") });
      apps.push(base);
      add("baseline", base.url);
    }
    const app = await spawnApp({ ...APP_ENV, ...await database("current") });
    apps.push(app);
    add("this app", app.url);
    const direct = await overhead(targets);
    overheadRows.push([`${engine}: stub directly`, med(direct.first), p99(direct.first), med(direct.total)]);
    for (const t of targets) {
      overheadRows.push(
        [`${engine}: through ${t.name}`, med(t.times.first), p99(t.times.first), med(t.times.total)],
        [
          `${engine}: **added by ${t.name}**`,
          med(t.times.first) - med(direct.first),
          p99(t.times.first) - p99(direct.first),
          med(t.times.total) - med(direct.total),
        ],
      );
      const perToken = (med(t.times.total) - med(direct.total) - (med(t.times.first) - med(direct.first))) /
        TOKENS;
      console.log(`${engine}: per-token overhead added by ${t.name} ${perToken.toFixed(3)} ms`);
    }
  } finally {
    for (const a of apps) await a.stop();
    await cluster?.destroy();
  }
}
console.log();
console.log(table(["path", "first token p50 ms", "first token p99 ms", "whole reply p50 ms"], overheadRows));
console.log(
  "\nThe app's first-token time includes loading the conversation and storing the user and assistant rows" +
    " (per-token: SSE re-encoding, DB progress saves every 250 ms).\n",
);

try {
  if (CONCURRENT > 0) await concurrentChats();
} finally {
  await stub.close();
}

/** N concurrent chats, each its own session and conversation (`BENCH_CONCURRENT=0` skips them). */
async function concurrentChats(): Promise<void> {
  const app = await spawnApp(APP_ENV);
  try {
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
  }
}
