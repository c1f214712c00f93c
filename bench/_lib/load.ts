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

/** Formats rows as a Markdown table; throws when a row has more or fewer cells than the header. */
export function table(header: string[], rows: (string | number)[][]): string {
  const ragged = rows.find((r) => r.length !== header.length);
  if (ragged) {
    throw new Error(`a row has ${ragged.length} cells for ${header.length} columns: ${ragged.join(" | ")}`);
  }
  const fmt = (v: string | number) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v;
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(fmt).join(" | ")} |`),
  ].join("\n");
}

/** The `wrk` HTTP benchmarking tool on PATH (Debian package `wrk`), or null when not installed. */
export function findWrk(): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/wrk`).isFile) return `${dir}/wrk`;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** What one `wrk` run reports. */
export interface WrkResult {
  requests: number;
  seconds: number;
  /** Requests answered with a status outside 2xx/3xx, plus socket errors. */
  errors: number;
  p50: number;
  p99: number;
}

/** Milliseconds from a wrk duration such as `812.00us`, `5.07ms` or `1.20s`. */
export function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`unreadable wrk duration ${text}`);
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
  return Number(m[1]) * scale;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string): WrkResult {
  const requests = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out);
  const p99 = /^\s*99%\s+(\S+)/m.exec(out);
  if (!requests || !p50 || !p99) throw new Error(`unreadable wrk output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  return {
    requests: Number(requests[1]),
    seconds: wrkMs(`${requests[2]}${requests[3]}`) / 1000,
    errors: non2xx + socketErrors,
    p50: wrkMs(p50[1]),
    p99: wrkMs(p99[1]),
  };
}

/** Runs `wrk` (one thread, `connections` keep-alive connections) against `url` for whole `seconds`. */
export async function runWrk(
  wrk: string,
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<WrkResult> {
  const args = ["-t1", `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, "--latency"];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  const { code, stdout, stderr } = await new Deno.Command(wrk, { args: [...args, url] }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${new TextDecoder().decode(stderr)}`);
  return parseWrk(out);
}
