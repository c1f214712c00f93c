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

/** The executable `name` on PATH, or null when there is none. */
export function findOnPath(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The `wrk` HTTP benchmarking tool on PATH (Debian package `wrk`), or null when not installed. */
export function findWrk(): string | null {
  return findOnPath("wrk");
}

/**
 * Keeps servers and load generator on separate CPUs with `taskset` (util-linux): left to the
 * scheduler, a server sometimes shares a core with `wrk` and sometimes not, and the same build then
 * measures at one rate or another ~1.6× apart from run to run (docs/performance.md, round five).
 */
export interface CpuPinning {
  /** Moves every thread of process `pid` (a server) onto the servers' CPU. */
  pinServer(pid: number): Promise<void>;
  /** The command line that runs `command` on the load generator's CPU. */
  loader(command: string[]): string[];
}

/**
 * {@link CpuPinning} on CPUs 0 (servers) and 1 (load), or null without `taskset`, a second CPU, or
 * permission to set CPU affinities (checked by setting this process's own to what it already is).
 */
export function cpuPinning(): CpuPinning | null {
  const taskset = navigator.hardwareConcurrency >= 2 ? findOnPath("taskset") : null;
  if (!taskset) return null;
  const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
  const probe = allowed &&
    new Deno.Command(taskset, {
      args: ["-p", "-c", allowed, String(Deno.pid)],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
  if (!probe || !probe.success) return null;
  return {
    async pinServer(pid) {
      const { code, stderr } = await new Deno.Command(taskset, {
        args: ["-a", "-p", "-c", "0", String(pid)],
        stdout: "null",
      })
        .output();
      if (code !== 0) {
        throw new Error(`taskset could not pin process ${pid}: ${new TextDecoder().decode(stderr)}`);
      }
    },
    loader: (command) => [taskset, "-c", "1", ...command],
  };
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

/**
 * Runs `wrk` (one thread, `connections` keep-alive connections) against `url` for whole `seconds`,
 * on the load generator's CPU when `pinning` is given.
 */
export async function runWrk(
  wrk: string,
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
  pinning: CpuPinning | null = null,
): Promise<WrkResult> {
  const args = ["-t1", `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, "--latency"];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  const [command, ...rest] = pinning ? pinning.loader([wrk, ...args, url]) : [wrk, ...args, url];
  const { code, stdout, stderr } = await new Deno.Command(command, { args: rest }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${new TextDecoder().decode(stderr)}`);
  return parseWrk(out);
}
