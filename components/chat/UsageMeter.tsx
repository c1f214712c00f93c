/**
 * "12,340 of 200,000 tokens today": the session's daily token budget (`GET /api/usage`), shown
 * under the composer when a limit applies. Fetched after hydration and again whenever `busy`
 * turns false (a reply ended), so it follows each charge. Nothing is shown for an unlimited budget
 * or when the count cannot be read.
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";

/** The JSON of `GET /api/usage`. */
export interface UsageStatus {
  usedTokens: number;
  limitTokens: number | null;
  resetsAt: string;
}

/** Props of {@link UsageMeter}. */
export interface UsageMeterProps {
  /** Re-read when this turns false (after a reply). */
  busy: boolean;
  /** False until hydrated: nothing is fetched during server rendering. */
  ready: boolean;
}

/** The text of the meter, e.g. "12,340 of 200,000 tokens today". */
export function usageText(usage: UsageStatus): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return `${n(usage.usedTokens)} of ${n(usage.limitTokens ?? 0)} tokens today`;
}

/** Today's token use against the daily budget. */
export function UsageMeter({ busy, ready }: UsageMeterProps): VNode | null {
  const [usage, setUsage] = useState<UsageStatus | null>(null);
  useEffect(() => {
    if (!ready || busy) return;
    let cancelled = false;
    fetch("/api/usage")
      .then((res) => res.ok ? res.json() as Promise<UsageStatus> : null)
      .then((u) => {
        if (!cancelled) setUsage(u);
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [busy, ready]);
  if (!usage || usage.limitTokens === null) return null;
  const spent = usage.usedTokens >= usage.limitTokens;
  const resets = new Date(usage.resetsAt).toISOString().slice(11, 16);
  return (
    <p
      class={spent ? "usage-meter usage-spent" : "usage-meter"}
      title={`The daily budget starts again at ${resets} UTC`}
    >
      {usageText(usage)}
      {spent && ` · resets at ${resets} UTC`}
    </p>
  );
}
