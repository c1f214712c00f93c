/** `GET /api/health`: runs each service check concurrently, with a deadline and measured latency. */

/** Result of one check, as the API contract shows it. Never contains keys or connection strings. */
export interface CheckResult {
  ok: boolean;
  provider?: string;
  latencyMs?: number;
  error?: string;
}

/** A named check. */
export type HealthCheck = () => Promise<CheckResult>;

/** The health report. */
export interface HealthReport {
  status: "ok" | "degraded";
  checks: Record<string, CheckResult>;
}

/** Runs `checks` concurrently; a check that throws or exceeds `timeoutMs` is reported as failed. */
export async function runHealthChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = 3000,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const start = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        const result = await Promise.race([check(), deadline]);
        return [name, { latencyMs: round(performance.now() - start), ...result }] as const;
      } catch (e) {
        return [name, {
          ok: false,
          latencyMs: round(performance.now() - start),
          error: (e as Error).message,
        }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const results = Object.fromEntries(entries);
  return { status: entries.every(([, r]) => r.ok) ? "ok" : "degraded", checks: results };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
