/**
 * Following a live reply: how long after the client that started a reply receives a character
 * does a follower (a reload, a second tab) receive it? Three followers of one reply, all from
 * offset 0: on the generating instance (from memory), on a second instance that LISTENs (woken by
 * NOTIFY, reads the stored text), and on a third with `DATABASE_LISTEN=off` (polls every 500 ms,
 * as behind Neon's pooler). Three app processes on one throwaway PostgreSQL; lag per offset is
 * measured in this process, so all clocks are one clock.
 */
import { postgresMissing, startPostgresCluster } from "../tests/_helpers/postgres_cluster.ts";
import { startGeminiStub } from "../tests/stubs/gemini_server.ts";
import { startChildApp } from "../tests/hardening/_child_app.ts";
import { percentile, table } from "./_lib/load.ts";

const TOKENS = Number(Deno.env.get("BENCH_TOKENS") ?? 120);
const DELAY_MS = Number(Deno.env.get("BENCH_TOKEN_DELAY_MS") ?? 20);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);

const missing = postgresMissing();
if (missing) {
  console.log(`skipped: ${missing}`);
  Deno.exit(0);
}

/** Reads an SSE response; returns the arrival time of each `id:` offset (first event reaching it). */
async function arrivals(res: Response): Promise<{ at: Map<number, number>; last: number; end: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const at = new Map<number, number>();
  let buffer = "";
  let last = 0;
  let end = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const now = performance.now();
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const id = /^id: (\d+)$/m.exec(block);
      const event = /^event: (\w+)$/m.exec(block)?.[1] ?? "";
      if (event === "done" || event === "error") end = event;
      if (!id || event !== "token") continue;
      const offset = Number(id[1]);
      for (let o = last + 1; o <= offset; o++) at.set(o, now);
      last = Math.max(last, offset);
    }
  }
  return { at, last, end };
}

const cluster = await startPostgresCluster();
const stub = await startGeminiStub({ apiKey: "bench-key", replyTokens: TOKENS, tokenDelayMs: DELAY_MS });
const env = (dataDir: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: cluster.url,
  DATA_DIR: dataDir,
  SESSION_SECRET: "bench-secret-shared-by-three-instances-0123456789",
  GEMINI_API_KEY: "bench-key",
  GEMINI_BASE_URL: stub.url,
  RATE_LIMIT_MESSAGES: "off",
  RATE_LIMIT_MESSAGES_IP: "off",
  LOG_LEVEL: "warn",
  ...extra,
});
const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
const apps = await Promise.all([
  startChildApp(env(dirs[0])),
  startChildApp(env(dirs[1], { DATABASE_LISTEN: "on" })),
  startChildApp(env(dirs[2], { DATABASE_LISTEN: "off" })),
]);
try {
  // One browser session (its cookie) used against all three instances, like tabs behind a balancer.
  const created = await fetch(`${apps[0].url}/api/conversations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  const cookie = (created.headers.get("set-cookie") ?? "").split(";")[0];
  const conv = await created.json() as { id: string };
  const names = ["same instance (memory)", "other instance, LISTEN/NOTIFY", "other instance, polling 500 ms"];
  const lags: number[][] = names.map(() => []);
  let chars = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const res = await fetch(`${apps[0].url}/api/conversations/${conv.id}/messages`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ content: `bench round ${round} with a few words to echo back` }),
    });
    const messageId = res.headers.get("x-message-id")!;
    const path = `/api/conversations/${conv.id}/messages/${messageId}/stream`;
    const followers = apps.map(async (app) => arrivals(await fetch(app.url + path, { headers: { cookie } })));
    const [main, ...others] = await Promise.all([arrivals(res), ...followers]);
    if (main.end !== "done" || others.some((o) => o.end !== "done" || o.last !== main.last)) {
      throw new Error("a follower did not receive the whole reply");
    }
    chars += main.last;
    others.forEach((f, i) => {
      for (const [offset, t] of main.at) lags[i].push(Math.max(0, f.at.get(offset)! - t));
    });
  }
  console.log(
    `### Follower lag behind the starting client (${ROUNDS} replies of ${TOKENS} tokens, ` +
      `${DELAY_MS} ms apart; ${chars} characters; ms per character)\n`,
  );
  const row = (name: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return [name, percentile(s, 50).toFixed(1), percentile(s, 90).toFixed(1), percentile(s, 99).toFixed(1)];
  };
  console.log(
    table(["follower", "lag p50 ms", "lag p90 ms", "lag p99 ms"], names.map((n, i) => row(n, lags[i]))),
  );
} finally {
  await Promise.all(apps.map((a) => a.stop()));
  await stub.close();
  await cluster.destroy();
  for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
}
