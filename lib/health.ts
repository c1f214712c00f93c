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

/**
 * Caches `check`'s result for `ttlMs` (0 = no cache): within that time every caller gets the last
 * result, and callers that arrive while a check runs share it, so a flood of health requests makes
 * at most one upstream call per `ttlMs`. A check that throws is cached like a failed result.
 */
export function cachedCheck(
  check: HealthCheck,
  ttlMs: number,
  now: () => number = () => performance.now(),
): HealthCheck {
  if (ttlMs <= 0) return check;
  let cached: { at: number; result: Promise<CheckResult> } | null = null;
  return () => {
    const t = now();
    if (cached && t - cached.at < ttlMs) return cached.result;
    const result = check().catch((e: unknown) => ({ ok: false, error: (e as Error)?.message ?? String(e) }));
    cached = { at: t, result };
    return result;
  };
}

/** What anyone may see: overall status only, no provider, error or latency. */
export interface PublicHealth {
  status: "ok" | "degraded";
}

/** The public view of a report. */
export function publicHealth(report: HealthReport): PublicHealth {
  return { status: report.status };
}
