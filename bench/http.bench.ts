/**
 * HTTP throughput of the app: requests/s and p50/p99 latency of `GET /` and `GET /api/health` at 1
 * and 50 concurrent connections, next to a bare `Deno.serve` hello in its own process measured in the
 * same run (issue 20's reference: `GET /` should reach ≥ 15 % of its rate, p99 < 20 ms at 50). The app
 * runs in its own process (as `deno task start` runs it); this process is the load generator, on the
 * same 2-core machine, so both share the CPU.
 */
import { closedLoop, spawnApp, table } from "./_lib/load.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 5);

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

const hello = await spawnHello();
const app = await spawnApp();
try {
  const rows: (string | number)[][] = [];
  const reference = new Map<number, number>();
  for (
    const [label, base, path] of [["bare Deno.serve hello", hello.url, "/"], ["GET /", app.url, "/"], [
      "GET /api/health",
      app.url,
      "/api/health",
    ]] as const
  ) {
    await closedLoop(() => fetch(base + path), 4, 1); // warm-up
    for (const concurrency of [1, 50]) {
      const r = await closedLoop(() => fetch(base + path), concurrency, seconds);
      if (base === hello.url) reference.set(concurrency, r.rps);
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
  console.log(
    table(["request", "connections", "req/s", "of bare Deno.serve", "p50 ms", "p99 ms", "errors"], rows),
  );
  console.log(
    `\n${seconds} s per row; servers and load generator share ${navigator.hardwareConcurrency} cores. ` +
      "The load generator is `fetch` in one Deno process, which caps the bare server's measured rate.",
  );
} finally {
  await app.stop();
  await hello.stop();
}
