/**
 * Bounded concurrent streams per session: a session may hold at most `maxPerSession` replies
 * streaming at once on this instance; one more is refused (429) until one ends. A slot is held
 * until the response body finishes, fails or is cancelled by the client.
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

/**
 * Returns `res` with a body that calls `release` once the body ends, errors or is cancelled
 * (client gone). A response without a body releases at once.
 */
export function releaseWhenDone(res: Response, release: () => void): Response {
  if (!res.body) {
    release();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason).catch(() => {});
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
