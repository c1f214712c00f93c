/** A small closed-loop HTTP load generator and latency statistics for the benches. */
import { startChildApp } from "../../tests/hardening/_child_app.ts";

/** Percentile (nearest-rank) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Result of a load run. */
export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  /** Every request's latency, ms, sorted. */
  latencies: number[];
}

/** Runs `concurrency` loops of `request` for `seconds`; each loop awaits one response at a time. */
export async function closedLoop(
  request: () => Promise<Response>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await request();
        await res.arrayBuffer();
        if (res.status >= 500) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

/** Starts `main.ts` in a child process on a free port; returns its URL and a stop function. */
export async function spawnApp(
  env: Record<string, string> = {},
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const dataDir = env.DATA_DIR ?? await Deno.makeTempDir({ prefix: "mc-bench-" });
  const app = await startChildApp({ DATA_DIR: dataDir, ...env });
  return {
    url: app.url,
    pid: app.child.pid,
    async stop() {
      await app.stop();
      if (!env.DATA_DIR) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Formats rows as a Markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const fmt = (v: string | number) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v;
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(fmt).join(" | ")} |`),
  ].join("\n");
}
