/**
 * HTTP throughput of the app: requests/s and p50/p99 latency of the chat pages next to a bare
 * `Deno.serve` hello in its own process (issue 20's references: `GET /` ≥ 15 % of its rate with
 * p99 < 20 ms at 50 connections, `GET /c/:id` of a 200-message conversation ≥ 10 %). Each row takes
 * turns with the hello server in short slices, so on a shared, busy machine both see the same load.
 *
 * The realistic case is a returning browser: the requests carry a signed session cookie whose owner
 * has {@link SIDEBAR} conversations (one of them with {@link MESSAGES} messages), written through the
 * store before the app starts. The no-cookie row (every request creates a session) is kept, labelled.
 * Each engine runs in turn: embedded PGlite (the default) and, when PostgreSQL server binaries are
 * installed, a throwaway PostgreSQL cluster (`BENCH_ENGINES=pglite` or `postgres` picks one). The
 * app runs in its own process (as `deno task start` runs it); this process is the load generator,
 * on the same machine, so all share the CPU.
 */
import { openDatabase } from "../lib/db/mod.ts";
import { SessionSigner } from "../lib/security/session.ts";
import { fillerText, seedLongConversation } from "../tests/_helpers/long_conversation.ts";
import { postgresMissing, startPostgresCluster } from "../tests/_helpers/postgres_cluster.ts";
import { closedLoop, cpuPinning, findWrk, percentile, runWrk, spawnApp, table } from "./_lib/load.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 3);
const engines = (Deno.env.get("BENCH_ENGINES") ?? "pglite,postgres").split(",").map((s) => s.trim());
/** Conversations in the returning browser's sidebar. */
const SIDEBAR = 30;
/** Messages in the conversation `GET /c/:id` renders. */
const MESSAGES = 200;
const SECRET = "bench-session-secret-0123456789abcdef";
/**
 * Load generators: `fetch` in this process (always), and `wrk` (the tool issue 20's numbers were
 * taken with) for the 50-connection page rows when it is installed. `BENCH_LOAD=fetch` or `wrk` picks one.
 */
const wrk = findWrk();
const loaders = (Deno.env.get("BENCH_LOAD") ?? (wrk ? "fetch,wrk" : "fetch")).split(",").map((s) => s.trim());
if (loaders.includes("wrk") && !wrk) throw new Error("BENCH_LOAD asks for wrk, which is not installed");
/**
 * Servers (the app, the hello) on CPU 0 and `wrk` on CPU 1 when `taskset` is there (`BENCH_PIN=0`:
 * let the scheduler place them, as before round five). The `fetch` rows' load generator (this
 * process) is not pinned.
 */
const pinning = Deno.env.get("BENCH_PIN") === "0" ? null : cpuPinning();

/** A bare `Deno.serve` answering "hello" in a child process; returns its URL and a stop function. */
async function spawnHello(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(port) }, () => new Response("hello"));`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the hello server exited before listening");
    out += value;
  }
  reader.cancel().catch(() => {});
  await pinning?.pinServer(child.pid);
  return {
    url: `http://127.0.0.1:${Number(out.split("\n")[0])}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/**
 * Writes the returning browser's data through the store: {@link SIDEBAR} conversations, the first
 * with {@link MESSAGES} messages. Returns the owner id and the long conversation's id. Then measures
 * the version read a cached page costs (`ownerDataVersion`, batched) alone, in this process, through the same
 * postgres.js pool, at 1 and 50 concurrent callers: the bound on the page rate the database sets.
 */
async function seed(dataDir: string, databaseUrl?: string): Promise<{ ownerId: string; longId: string }> {
  const db = await openDatabase({ dataDir, databaseUrl });
  try {
    const ownerId = SessionSigner.newId();
    const long = await seedLongConversation(db, ownerId, MESSAGES);
    for (let i = 1; i < SIDEBAR; i++) {
      const c = await db.createConversation(ownerId, { title: `Conversation ${i}: ${fillerText(i, 4)}` });
      await db.appendMessage(ownerId, c.id, { role: "user", content: fillerText(1000 + i, 10) });
    }
    const engine = databaseUrl ? "postgres" : "pglite";
    for (const concurrency of [1, 50]) {
      await paired(
        `${engine}: the page's version read alone, in-process (no HTTP; ${
          engine === "pglite" ? "kept in memory" : "batched"
        })`,
        concurrency,
        (s) => callSlice(() => db.ownerDataVersion(ownerId), concurrency, s),
        loaders.includes("fetch") ? "fetch" : "wrk",
      );
    }
    return { ownerId, longId: long.id };
  } finally {
    await db.close();
  }
}

/**
 * One slice of a measurement: how many requests (or calls) finished in how long, with every latency
 * (fetch) or the slice's own percentiles (wrk reports no single latencies).
 */
interface Slice {
  count: number;
  seconds: number;
  latencies: number[];
  errors: number;
  p50?: number;
  p99?: number;
}

/** Load generator of a row. */
type Loader = "fetch" | "wrk";

/** `concurrency` loops of `call` for `seconds`, each awaiting one call at a time. */
async function callSlice(call: () => Promise<unknown>, concurrency: number, seconds: number): Promise<Slice> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  }));
  return { count: latencies.length, seconds: (performance.now() - start) / 1000, latencies, errors: 0 };
}

/** `concurrency` closed loops of `GET url` for `seconds` (wrk: its connections, whole seconds). */
async function httpSlice(
  url: string,
  headers: Record<string, string>,
  concurrency: number,
  seconds: number,
  loader: Loader = "fetch",
): Promise<Slice> {
  if (loader === "wrk") {
    // Told to, wrk asks for what a browser asks for; unlike fetch, it does not inflate the body.
    const r = await runWrk(
      wrk!,
      url,
      { "accept-encoding": BROWSER_ACCEPT_ENCODING, ...headers },
      concurrency,
      seconds,
      pinning,
    );
    return { count: r.requests, seconds: r.seconds, latencies: [], errors: r.errors, p50: r.p50, p99: r.p99 };
  }
  const r = await closedLoop(() => fetch(url, { headers }), concurrency, seconds);
  return { count: r.requests, seconds: r.requests / r.rps, latencies: r.latencies, errors: r.errors };
}

/**
 * The `Accept-Encoding` Chromium sends, over HTTPS and to `http://127.0.0.1` alike (Firefox and Safari
 * name br as well): the app sends kept pages in Brotli from their second request on, gzip before.
 */
const BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd";

/** Slices per row: the row and the hello server take turns, so both see the same machine load. */
const SLICES = 6;
/** Slices per wrk row (wrk runs whole seconds). */
const WRK_SLICES = 3;
/**
 * Shortest wrk slice, and wrk's warm-up, in seconds. A 1 s wrk run is partly its 50 connections being
 * opened, and the app's JIT is still tiering up for several seconds of load: 1 s runs back to back on a
 * fresh app measured 20.9k, 31.1k, 30.2k ... 34.1k req/s on `GET /` (docs/performance.md, round six).
 */
const WRK_MIN_SLICE_SECONDS = 3;
const WRK_WARMUP_SECONDS = 5;

const hello = await spawnHello();
const rows: (string | number)[][] = [];
const signer = await SessionSigner.create([SECRET]);

/**
 * Adds a row: `run` and the bare hello server at the same concurrency, alternating in
 * {@link SLICES} slices of `seconds / SLICES` each, so the ratio compares like with like on a busy
 * machine. Latency percentiles are the row's own.
 */
async function paired(
  label: string,
  concurrency: number,
  run: (seconds: number) => Promise<Slice>,
  loader: Loader = "fetch",
) {
  const slices = loader === "wrk" ? WRK_SLICES : SLICES;
  const slice = loader === "wrk" ? Math.max(WRK_MIN_SLICE_SECONDS, seconds / slices) : seconds / slices;
  await run(loader === "wrk" ? WRK_WARMUP_SECONDS : 0.3); // warm-up
  const own: Slice[] = [];
  const ref: Slice[] = [];
  for (let i = 0; i < slices; i++) {
    ref.push(await httpSlice(hello.url + "/", {}, concurrency, slice, loader));
    own.push(await run(slice));
  }
  const rate = (xs: Slice[]) => xs.reduce((n, x) => n + x.count, 0) / xs.reduce((t, x) => t + x.seconds, 0);
  // wrk gives each slice's percentiles only: the row shows the median slice's.
  const median = (xs: number[]) => percentile([...xs].sort((x, y) => x - y), 50);
  const p = (xs: Slice[], q: 50 | 99) => {
    const latencies = xs.flatMap((x) => x.latencies).sort((x, y) => x - y);
    return latencies.length > 0
      ? percentile(latencies, q)
      : median(xs.map((x) => q === 50 ? x.p50! : x.p99!));
  };
  rows.push([
    label,
    loader,
    concurrency,
    Math.round(rate(own)),
    Math.round(rate(ref)),
    `${(100 * rate(own) / rate(ref)).toFixed(1)} %`,
    p(own, 50),
    p(own, 99),
    p(ref, 99),
    own.reduce((n, x) => n + x.errors, 0),
  ]);
}

/** Adds a row per concurrency for `GET url` (wrk rows only at 50 connections, the goals' rows). */
async function measure(label: string, url: string, headers: Record<string, string>, concurrencies: number[]) {
  for (const loader of loaders as Loader[]) {
    for (const concurrency of concurrencies) {
      if (loader === "wrk" && concurrency !== 50) continue;
      await paired(label, concurrency, (s) => httpSlice(url, headers, concurrency, s, loader), loader);
    }
  }
}

try {
  for (const engine of engines) {
    if (engine !== "pglite" && engine !== "postgres") throw new Error(`unknown engine ${engine}`);
    const missing = engine === "postgres" ? postgresMissing() : null;
    if (missing) {
      console.log(`PostgreSQL rows skipped: ${missing}`);
      continue;
    }
    const cluster = engine === "postgres" ? await startPostgresCluster() : null;
    const dataDir = await Deno.makeTempDir({ prefix: "mc-bench-http-" });
    try {
      const { ownerId, longId } = await seed(dataDir, cluster?.url);
      const cookie = { cookie: `mc_session=${await signer.sign(ownerId)}` };
      // The same data with the page cache off (PAGE_CACHE_MB=0): the "before" of the cache, same run.
      for (const cache of ["on", "off"] as const) {
        const env: Record<string, string> = { DATA_DIR: dataDir, SESSION_SECRET: SECRET };
        if (cluster) env.DATABASE_URL = cluster.url;
        if (cache === "off") env.PAGE_CACHE_MB = "0";
        const app = await spawnApp(env);
        await pinning?.pinServer(app.pid);
        try {
          const check = await fetch(`${app.url}/c/${longId}`, { headers: cookie });
          const page = await check.text();
          if (check.status !== 200 || !page.includes("A long conversation")) {
            throw new Error(`GET /c/:id answered ${check.status} without the seeded conversation`);
          }
          const home = `GET / (session, ${SIDEBAR} conversations)`;
          const long = `GET /c/:id (${MESSAGES} messages)`;
          if (cache === "off") {
            await measure(`${engine}: ${home}, page cache off`, app.url + "/", cookie, [50]);
            await measure(`${engine}: ${long}, page cache off`, `${app.url}/c/${longId}`, cookie, [50]);
            continue;
          }
          await measure(`${engine}: GET / (no cookie: new session each)`, app.url + "/", {}, [50]);
          await measure(`${engine}: ${home}`, app.url + "/", cookie, [1, 50]);
          await measure(`${engine}: ${long}`, `${app.url}/c/${longId}`, cookie, [1, 50]);
          // The same page to a client that takes gzip only (the rows before round six asked for gzip).
          await measure(`${engine}: ${long}, gzip only`, `${app.url}/c/${longId}`, {
            ...cookie,
            "accept-encoding": "gzip",
          }, [50]);
          await measure(`${engine}: GET /api/health`, app.url + "/api/health", {}, [50]);
        } finally {
          await app.stop();
        }
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await cluster?.destroy();
    }
  }
  console.log(
    table(
      [
        "request",
        "load",
        "connections",
        "req/s",
        "hello req/s",
        "of bare Deno.serve",
        "p50 ms",
        "p99 ms",
        "hello p99 ms",
        "errors",
      ],
      rows,
    ),
  );
  console.log(
    `\n${seconds} s per row (wrk rows: ${WRK_SLICES} slices of at least ${WRK_MIN_SLICE_SECONDS} s after ${WRK_WARMUP_SECONDS} s of warm-up), taking turns with the bare Deno.serve hello (its rate in the same slices: ` +
      `"hello req/s"); servers and load generator share ${navigator.hardwareConcurrency} cores. ` +
      "`fetch`: closed loops in one Deno process, which inflates gzip and caps the bare server's measured rate; " +
      "`wrk`: one wrk thread (asks for br and gzip as Chromium does, or gzip only where the row says so; does not inflate), percentiles of the median slice. " +
      (pinning
        ? "Servers pinned to CPU 0, wrk to CPU 1 (taskset; BENCH_PIN=0 to let the scheduler place them)."
        : "Nothing pinned."),
  );
} finally {
  await hello.stop();
}
