/**
 * HTTP throughput of the app: requests/s and p50/p99 latency of the chat pages next to a bare
 * `Deno.serve` hello in its own process measured in the same run (issue 20's references: `GET /`
 * ≥ 15 % of its rate with p99 < 20 ms at 50 connections, `GET /c/:id` of a 200-message
 * conversation ≥ 10 %).
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
import { postgresMissing, startPostgresCluster } from "../tests/_helpers/postgres_cluster.ts";
import { closedLoop, spawnApp, table } from "./_lib/load.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 3);
const engines = (Deno.env.get("BENCH_ENGINES") ?? "pglite,postgres").split(",").map((s) => s.trim());
/** Conversations in the returning browser's sidebar. */
const SIDEBAR = 30;
/** Messages in the conversation `GET /c/:id` renders. */
const MESSAGES = 200;
const SECRET = "bench-session-secret-0123456789abcdef";

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
  return {
    url: `http://127.0.0.1:${Number(out.split("\n")[0])}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Deterministic filler text (seeded), `words` words long. */
function text(seed: number, words: number): string {
  const vocab = ["the", "model", "answer", "token", "server", "page", "cache", "query", "list", "row"];
  let x = seed * 2654435761 >>> 0;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(vocab[x % vocab.length]);
  }
  return out.join(" ");
}

/**
 * Writes the returning browser's data through the store: {@link SIDEBAR} conversations, the first
 * with {@link MESSAGES} messages. Returns the owner id and the long conversation's id.
 */
async function seed(dataDir: string, databaseUrl?: string): Promise<{ ownerId: string; longId: string }> {
  const db = await openDatabase({ dataDir, databaseUrl });
  try {
    const ownerId = SessionSigner.newId();
    const long = await db.createConversation(ownerId, { title: "A long conversation" });
    for (let i = 0; i < MESSAGES; i++) {
      await db.appendMessage(ownerId, long.id, {
        role: i % 2 === 0 ? "user" : "assistant",
        content: text(i, i % 2 === 0 ? 20 : 80),
      });
    }
    for (let i = 1; i < SIDEBAR; i++) {
      const c = await db.createConversation(ownerId, { title: `Conversation ${i}: ${text(i, 4)}` });
      await db.appendMessage(ownerId, c.id, { role: "user", content: text(1000 + i, 10) });
    }
    return { ownerId, longId: long.id };
  } finally {
    await db.close();
  }
}

const hello = await spawnHello();
const rows: (string | number)[][] = [];
const reference = new Map<number, number>();
const signer = await SessionSigner.create([SECRET]);

/** Measures `path` at each concurrency and adds a row per run, as a share of the hello server. */
async function measure(label: string, url: string, headers: HeadersInit, concurrencies: number[]) {
  await closedLoop(() => fetch(url, { headers }), 4, 1); // warm-up
  for (const concurrency of concurrencies) {
    const r = await closedLoop(() => fetch(url, { headers }), concurrency, seconds);
    if (url.startsWith(hello.url)) reference.set(concurrency, r.rps);
    const ratio = r.rps / (reference.get(concurrency) ?? r.rps);
    rows.push([
      label,
      concurrency,
      Math.round(r.rps),
      `${(100 * ratio).toFixed(1)} %`,
      r.p50,
      r.p99,
      r.errors,
    ]);
  }
}

try {
  await measure("bare Deno.serve hello", hello.url + "/", {}, [1, 50]);
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
      const env: Record<string, string> = { DATA_DIR: dataDir, SESSION_SECRET: SECRET };
      if (cluster) env.DATABASE_URL = cluster.url;
      const app = await spawnApp(env);
      try {
        const cookie = { cookie: `mc_session=${await signer.sign(ownerId)}` };
        const check = await fetch(`${app.url}/c/${longId}`, { headers: cookie });
        const page = await check.text();
        if (check.status !== 200 || !page.includes("A long conversation")) {
          throw new Error(`GET /c/:id answered ${check.status} without the seeded conversation`);
        }
        await measure(`${engine}: GET / (no cookie: new session each)`, app.url + "/", {}, [50]);
        await measure(`${engine}: GET / (session, ${SIDEBAR} conversations)`, app.url + "/", cookie, [1, 50]);
        await measure(`${engine}: GET /c/:id (${MESSAGES} messages)`, `${app.url}/c/${longId}`, cookie, [
          1,
          50,
        ]);
        await measure(`${engine}: GET /api/health`, app.url + "/api/health", {}, [50]);
      } finally {
        await app.stop();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await cluster?.destroy();
    }
  }
  console.log(
    table(["request", "connections", "req/s", "of bare Deno.serve", "p50 ms", "p99 ms", "errors"], rows),
  );
  console.log(
    `\n${seconds} s per row; servers and load generator share ${navigator.hardwareConcurrency} cores. ` +
      "The load generator is `fetch` in one Deno process, which caps the bare server's measured rate.",
  );
} finally {
  await hello.stop();
}
