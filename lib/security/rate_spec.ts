/** The `"<count>/<window>"` notation of the rate-limit settings (`RATE_LIMIT_*`). */
import { CodedError } from "../../ml/errors.ts";
import type { BucketPolicy } from "./token_bucket.ts";

/** Thrown for a malformed rate specification. */
export class RateSpecError extends CodedError<"invalid_rate_spec"> {
  constructor(spec: string) {
    super("invalid_rate_spec", `expected "<count>/<s|min|h>" (e.g. "30/min") or "off", got "${spec}"`);
    this.name = "RateSpecError";
  }
}

const WINDOWS: Record<string, number> = { s: 1, sec: 1, min: 60, m: 60, h: 3600, hour: 3600 };

/**
 * Parses `"<count>/<window>"` (`30/min`, `3000/min`, `2/s`, `100/h`): a bucket holding `count`
 * that refills `count` per window. `"off"` means no limit (null).
 */
export function parseRateSpec(spec: string): BucketPolicy | null {
  const s = spec.trim().toLowerCase();
  if (s === "off" || s === "none" || s === "0") return null;
  const m = /^(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)$/.exec(s);
  if (!m || !(m[2] in WINDOWS) || !(Number(m[1]) > 0)) throw new RateSpecError(spec);
  const count = Number(m[1]);
  return { capacity: count, refillPerSecond: count / WINDOWS[m[2]] };
}
