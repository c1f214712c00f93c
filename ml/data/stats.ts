/** Summary statistics over integer samples, collected without keeping the samples as JS objects. */

/** Distribution summary with nearest-rank percentiles. */
export interface Distribution {
  /** Number of samples. */
  count: number;
  /** Smallest sample. */
  min: number;
  /** Arithmetic mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** Largest sample. */
  max: number;
}

/** A growable buffer of non-negative integers with a percentile summary. */
export class IntSamples {
  #values = new Int32Array(1024);
  #count = 0;
  #sum = 0;

  /** Adds one sample. */
  add(value: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Int32Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = value;
    this.#sum += value;
  }

  /** Number of samples so far. */
  get count(): number {
    return this.#count;
  }

  /** Count, min, mean, nearest-rank p50/p90/p95/p99 and max (all 0 when empty). */
  summary(): Distribution {
    const n = this.#count;
    if (n === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    const sorted = this.#values.slice(0, n).sort();
    const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
    return {
      count: n,
      min: sorted[0],
      mean: Math.round((this.#sum / n) * 10) / 10,
      p50: rank(50),
      p90: rank(90),
      p95: rank(95),
      p99: rank(99),
      max: sorted[n - 1],
    };
  }
}
