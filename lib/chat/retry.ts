/**
 * Retry policy for model calls: which failures are retried, how long to wait (honoring the
 * upstream's Retry-After), and a cap on the total time spent waiting. Pure functions plus an
 * abortable sleep; the loop that uses them is `retrying_stream.ts`, shared by the hosted providers.
 */
import { ChatError } from "./errors.ts";

/** Bounds of the retry loop. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  maxRetries: number;
  /** First exponential backoff step. */
  baseDelayMs: number;
  /** Largest single wait, whether from backoff or from Retry-After. */
  maxDelayMs: number;
  /** Largest sum of all waits of one request; a retry that would exceed it is not made. */
  maxTotalWaitMs: number;
}

/** Defaults: 2 retries, 500 ms → 1 s backoff, at most 10 s per wait and 15 s in total. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxTotalWaitMs: 15_000,
};

/**
 * Parses an HTTP `Retry-After` value (delta-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Parses a google.rpc.RetryInfo `retryDelay` (protobuf Duration JSON such as "35s" or "1.5s")
 * into milliseconds.
 */
export function parseRetryDelay(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** Exponential backoff for retry number `retry` (0-based) with "equal jitter": half fixed, half random. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Where the retry loop stands. */
export interface RetryState {
  /** Retries already made (0 after the first failure). */
  retries: number;
  /** Milliseconds already spent waiting between attempts. */
  waitedMs: number;
}

/**
 * Decides whether to retry after `error` and how long to wait first. Returns null when the error is
 * not retryable, the retry count is used up, or the wait would push the total past
 * `maxTotalWaitMs`. A Retry-After longer than `maxDelayMs` is not shortened (the upstream would
 * just refuse again): the request fails instead, so the user sees `rate_limited` quickly.
 */
export function planRetry(
  error: ChatError,
  state: RetryState,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (!error.retryable || state.retries >= policy.maxRetries) return null;
  const wait = error.retryAfterMs !== undefined
    ? error.retryAfterMs
    : backoffDelay(state.retries, policy, random);
  if (wait > policy.maxDelayMs) return null;
  if (state.waitedMs + wait > policy.maxTotalWaitMs) return null;
  return wait;
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
