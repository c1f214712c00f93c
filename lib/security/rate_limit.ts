/**
 * Rate limits per session and per client IP for the costly endpoints: chat replies (messages,
 * regenerate, edit), text-to-speech (charged per character) and speech-to-text (per request).
 *
 * Limits are token buckets named by key prefix (`msg:<session>`, `msg_ip:<address>`, ...). The
 * {@link PostgresRateLimiter} keeps them in PostgreSQL so every instance behind a load balancer
 * shares them; when the database cannot be reached it falls back to in-process buckets, so an
 * outage neither blocks voice nor lifts the limits.
 */
import type postgres from "postgres";
import { refundBuckets, sweepFullBuckets, takeBuckets } from "../db/rate_limits.ts";
import {
  type BucketPolicy,
  DEFAULT_RATE_POLICIES,
  type RateDecision,
  type RateLimiter,
  TokenBucketLimiter,
} from "./token_bucket.ts";

export type { BucketPolicy, RateDecision, RateLimiter };
export { parseRateSpec, RateSpecError } from "./rate_spec.ts";

/** The limited actions. */
export type LimitedAction = "msg" | "tts" | "stt" | "voices" | "conv";

/** Policies by key prefix; a prefix set to null is not limited. */
export type RatePolicies = Readonly<Record<string, BucketPolicy | null>>;

/**
 * Default policies. Per session: 30 replies, 3000 TTS characters, 10 transcriptions, 30 voice
 * listings, 60 conversation changes (create, rename, delete) per minute (each also the burst). Per IP four times that, so a few people behind one
 * NAT are not limited by each other.
 */
export const DEFAULT_POLICIES: RatePolicies = Object.freeze({
  msg: { capacity: 30, refillPerSecond: 30 / 60 },
  msg_ip: { capacity: 120, refillPerSecond: 120 / 60 },
  tts: DEFAULT_RATE_POLICIES.tts,
  tts_ip: { capacity: 12000, refillPerSecond: 12000 / 60 },
  stt: DEFAULT_RATE_POLICIES.stt,
  stt_ip: { capacity: 40, refillPerSecond: 40 / 60 },
  voices: DEFAULT_RATE_POLICIES.voices,
  voices_ip: { capacity: 120, refillPerSecond: 120 / 60 },
  conv: { capacity: 60, refillPerSecond: 60 / 60 },
  conv_ip: { capacity: 240, refillPerSecond: 240 / 60 },
});

/** A limiter that can charge several buckets at once: all are charged, or (when one refuses) none. */
export interface MultiKeyRateLimiter extends RateLimiter {
  takeAll(keys: readonly string[], cost: number): Promise<RateDecision>;
}

/** Options of {@link PostgresRateLimiter}. */
export interface PostgresRateLimiterOptions {
  /** Policies by key prefix (the text before the first `:`), over {@link DEFAULT_POLICIES}. */
  policies?: RatePolicies;
  /** Runs before each take, e.g. to apply pending migrations after an outage. */
  ready?: () => Promise<unknown>;
  /** Delete fully refilled rows at most this often, ms (default 5 minutes; 0 disables). */
  sweepEveryMs?: number;
  /** Called when the database fails and the in-process fallback decided instead. */
  onFallback?: (error: unknown) => void;
}

/** Token buckets in PostgreSQL shared by all instances, with an in-process fallback. */
export class PostgresRateLimiter implements MultiKeyRateLimiter {
  readonly #sql: postgres.Sql;
  readonly #policies: RatePolicies;
  readonly #ready: () => Promise<unknown>;
  readonly #fallback: TokenBucketLimiter;
  readonly #sweepEveryMs: number;
  readonly #onFallback: (error: unknown) => void;
  #lastSweep = performance.now();

  constructor(sql: postgres.Sql, options: PostgresRateLimiterOptions = {}) {
    this.#sql = sql;
    this.#policies = { ...DEFAULT_POLICIES, ...options.policies };
    this.#ready = options.ready ?? (() => Promise.resolve());
    this.#sweepEveryMs = options.sweepEveryMs ?? 5 * 60_000;
    this.#onFallback = options.onFallback ?? (() => {});
    const limited = Object.fromEntries(
      Object.entries(this.#policies).filter((e): e is [string, BucketPolicy] => e[1] !== null),
    );
    this.#fallback = new TokenBucketLimiter({ policies: limited });
  }

  /** The policy of `key` (by prefix), or null when that prefix is unlimited. */
  policyFor(key: string): BucketPolicy | null {
    return this.#policies[key.split(":")[0]] ?? null;
  }

  take(key: string, cost: number): Promise<RateDecision> {
    return this.takeAll([key], cost);
  }

  async takeAll(keys: readonly string[], cost: number): Promise<RateDecision> {
    const takes = [...new Set(keys)].flatMap((key) => {
      const policy = this.policyFor(key);
      return policy ? [{ key, cost, ...policy }] : [];
    });
    if (takes.length === 0) return { allowed: true, remaining: Number.MAX_SAFE_INTEGER };
    let results;
    try {
      await this.#ready();
      results = await takeBuckets(this.#sql, takes);
    } catch (error) {
      this.#onFallback(error);
      return await this.#takeInProcess(takes.map((t) => t.key), cost);
    }
    this.#maybeSweep();
    const refused = results.filter((r) => !r.allowed);
    if (refused.length === 0) {
      return { allowed: true, remaining: Math.floor(Math.min(...results.map((r) => r.tokens))) };
    }
    const charged = results.filter((r) => r.allowed).map((r) => ({ key: r.key, cost }));
    if (charged.length > 0) await refundBuckets(this.#sql, charged).catch(() => {});
    return { allowed: false, retryAfterSeconds: Math.max(...refused.map((r) => r.retryAfterSeconds)) };
  }

  async #takeInProcess(keys: string[], cost: number): Promise<RateDecision> {
    // Not atomic across keys: a refusal after an earlier grant leaves that grant charged, which
    // errs on the side of limiting while the database is away.
    let remaining = Number.MAX_SAFE_INTEGER;
    for (const key of keys) {
      const d = await this.#fallback.take(key, cost);
      if (!d.allowed) return d;
      remaining = Math.min(remaining, d.remaining);
    }
    return { allowed: true, remaining };
  }

  #maybeSweep(): void {
    if (this.#sweepEveryMs <= 0 || performance.now() - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = performance.now();
    sweepFullBuckets(this.#sql).catch(() => {});
  }
}

/**
 * A {@link RateLimiter} for one request: charging `<action>:<session>` also charges
 * `<action>_ip:<address>`, so a client cannot escape the limit by dropping its cookie. This is what
 * the voice handlers receive (they name only the session key).
 */
export function perClientLimiter(limiter: MultiKeyRateLimiter, ip: string | null): RateLimiter {
  return {
    take(key, cost) {
      const colon = key.indexOf(":");
      const keys = colon > 0 && ip ? [key, `${key.slice(0, colon)}_ip:${ip}`] : [key];
      return limiter.takeAll(keys, cost);
    },
  };
}
