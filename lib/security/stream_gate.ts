/**
 * Bounded concurrent streams per session: a session may hold at most `maxPerSession` replies
 * streaming at once on this instance; one more is refused (429) until one ends. A slot is held
 * until the reply ends (replies outlive their requests, see `lib/chat/reply.ts`).
 */

/** Counts open streams per key. */
export class StreamGate {
  readonly #active = new Map<string, number>();

  /** `maxPerSession` of 0 disables the cap. */
  constructor(readonly maxPerSession: number) {}

  /** A release function when a slot is free for `key`, else null. Releasing twice is harmless. */
  tryAcquire(key: string): (() => void) | null {
    const n = this.#active.get(key) ?? 0;
    if (this.maxPerSession > 0 && n >= this.maxPerSession) return null;
    this.#active.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#active.get(key) ?? 1) - 1;
      if (left <= 0) this.#active.delete(key);
      else this.#active.set(key, left);
    };
  }

  /** Streams open for `key`. */
  active(key: string): number {
    return this.#active.get(key) ?? 0;
  }

  /** Streams open in total (all keys). */
  total(): number {
    let n = 0;
    for (const v of this.#active.values()) n += v;
    return n;
  }
}
