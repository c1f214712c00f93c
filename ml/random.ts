/**
 * Seeded pseudo-random numbers in plain JS, so initial weights (and dataset builds) are identical on every
 * backend and run.
 * Generator: mulberry32 (32-bit state); normals by Box-Muller.
 */

/**
 * mulberry32: uniform numbers in [0, 1) from a 32-bit state that starts at `seed` (taken as an unsigned
 * 32-bit integer). Small, fast and the same everywhere; the tests' fuzzers and the benches' generated
 * data use it directly, {@link Rng} with its own seed mixing.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source. */
export class Rng {
  readonly #next: () => number;
  #spare: number | null = null;

  /** A generator whose whole sequence is fixed by `seed`. */
  constructor(seed: number) {
    this.#next = mulberry32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Normal with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return mean + std * s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spare = radius * Math.sin(2 * Math.PI * v);
    return mean + std * radius * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A new integer seed drawn from this generator (for deriving independent streams). */
  seed(): number {
    return Math.floor(this.next() * 2147483647);
  }
}

/** `n` floats uniform in [lo, hi). */
export function uniformArray(n: number, lo: number, hi: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

/** `n` floats drawn from N(mean, std²). */
export function normalArray(n: number, mean: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal(mean, std);
  return out;
}

/**
 * Bound of PyTorch's `kaiming_uniform_(w, a)` for a weight with `fanIn` inputs:
 * gain·sqrt(3/fanIn) with gain = sqrt(2/(1+a²)); for a = sqrt(5) this is 1/sqrt(fanIn).
 */
export function kaimingUniformBound(fanIn: number, a: number = Math.sqrt(5)): number {
  const gain = Math.sqrt(2 / (1 + a * a));
  return gain * Math.sqrt(3 / fanIn);
}
