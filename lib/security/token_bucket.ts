/**
 * Rate limiting by token bucket: the {@link RateLimiter} interface every limiter implements (the
 * PostgreSQL one in `rate_limit.ts` among them), bucket policies, and an in-memory limiter for one
 * process (the fallback while the database is away, and tests).
 */

/** Outcome of {@link RateLimiter.take}. */
export type RateDecision =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Charges `cost` units to `key` (e.g. `tts:<sessionId>`). Implementations must be safe to call
 * concurrently; a refused take charges nothing.
 */
export interface RateLimiter {
  take(key: string, cost: number): Promise<RateDecision>;
}

/** A bucket policy: up to `capacity` units in a burst, refilled at `refillPerSecond`. */
export interface BucketPolicy {
  capacity: number;
  refillPerSecond: number;
}

/**
 * Default policies by key prefix. TTS is charged per character (ElevenLabs bills characters):
 * a 3000-character burst and 50 chars/s (3000/min) sustained. STT is charged per request: 10 at
 * once, then one every 6 s.
 */
export const DEFAULT_RATE_POLICIES: Readonly<Record<string, BucketPolicy>> = Object.freeze({
  tts: { capacity: 3000, refillPerSecond: 50 },
  stt: { capacity: 10, refillPerSecond: 1 / 6 },
  voices: { capacity: 30, refillPerSecond: 0.5 },
});

/** Options of {@link TokenBucketLimiter}. */
export interface TokenBucketOptions {
  /** Policy per key prefix (text before the first `:`). */
  policies?: Readonly<Record<string, BucketPolicy>>;
  /** Policy for keys whose prefix has none. */
  fallback?: BucketPolicy;
  /** Clock in ms (tests). Default `performance.now`. */
  now?: () => number;
  /** Forget buckets idle this long (full again anyway), ms. Default 10 minutes. */
  idleMs?: number;
}

/** In-memory token buckets keyed by string; one process only. */
export class TokenBucketLimiter implements RateLimiter {
  #buckets = new Map<string, { tokens: number; at: number }>();
  #policies: Readonly<Record<string, BucketPolicy>>;
  #fallback: BucketPolicy;
  #now: () => number;
  #idleMs: number;
  #lastSweep = 0;

  constructor(options: TokenBucketOptions = {}) {
    this.#policies = options.policies ?? DEFAULT_RATE_POLICIES;
    this.#fallback = options.fallback ?? { capacity: 60, refillPerSecond: 1 };
    this.#now = options.now ?? (() => performance.now());
    this.#idleMs = options.idleMs ?? 10 * 60_000;
  }

  /** Policy applied to `key`. */
  policyFor(key: string): BucketPolicy {
    return this.#policies[key.split(":")[0]] ?? this.#fallback;
  }

  take(key: string, cost: number): Promise<RateDecision> {
    const now = this.#now();
    this.#sweep(now);
    const policy = this.policyFor(key);
    const bucket = this.#buckets.get(key) ?? { tokens: policy.capacity, at: now };
    bucket.tokens = Math.min(
      policy.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * policy.refillPerSecond,
    );
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (cost > policy.capacity) {
      // Can never be satisfied: say when a full bucket would be, so clients do not spin.
      return Promise.resolve({
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((policy.capacity - bucket.tokens) / policy.refillPerSecond)),
      });
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return Promise.resolve({ allowed: true, remaining: Math.floor(bucket.tokens) });
    }
    const wait = (cost - bucket.tokens) / policy.refillPerSecond;
    return Promise.resolve({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) });
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#idleMs) return;
    this.#lastSweep = now;
    for (const [key, b] of this.#buckets) if (now - b.at > this.#idleMs) this.#buckets.delete(key);
  }
}
