/**
 * HTTP throughput of the app: requests/s and p50/p99 latency of `GET /` and `GET /api/health` at 1
 * and 50 concurrent connections. The app runs in its own process (as `deno task start` runs it);
 * this process is the load generator, on the same 2-core machine, so both share the CPU.
 */
import { closedLoop, spawnApp, table } from "./_lib/load.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const app = await spawnApp();
try {
  const rows: (string | number)[][] = [];
  for (const path of ["/", "/api/health"]) {
    await closedLoop(() => fetch(app.url + path), 4, 1); // warm-up
    for (const concurrency of [1, 50]) {
      const r = await closedLoop(() => fetch(app.url + path), concurrency, seconds);
      rows.push([`GET ${path}`, concurrency, Math.round(r.rps), r.p50, r.p99, r.errors]);
    }
  }
  console.log(table(["request", "connections", "req/s", "p50 ms", "p99 ms", "errors"], rows));
  console.log(
    `\n${seconds} s per row; server and load generator share ${navigator.hardwareConcurrency} cores.`,
  );
} finally {
  await app.stop();
}
