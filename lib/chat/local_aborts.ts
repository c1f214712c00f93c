/**
 * Abort bookkeeping of the local-model worker: which requests are queued or running and which were
 * aborted. An abort for a request that already finished (or was never sent) is ignored, and a request
 * leaves every set when it finishes, so the bookkeeping stays as small as the queue.
 */
export class RequestAborts {
  readonly #queued = new Set<number>();
  readonly #abortedWhileQueued = new Set<number>();
  readonly #active = new Map<number, AbortController>();

  /** Records a request that waits in the queue. */
  queue(id: number): void {
    this.#queued.add(id);
  }

  /** Aborts a running request, or marks a queued one so it starts aborted; ignores unknown ids. */
  abort(id: number): void {
    const running = this.#active.get(id);
    if (running) running.abort();
    else if (this.#queued.has(id)) this.#abortedWhileQueued.add(id);
  }

  /** Moves a request from the queue to running; its signal is already aborted if it was aborted while queued. */
  start(id: number): AbortSignal {
    const controller = new AbortController();
    this.#queued.delete(id);
    if (this.#abortedWhileQueued.delete(id)) controller.abort();
    this.#active.set(id, controller);
    return controller.signal;
  }

  /** Forgets a request (finished, failed or answered without running). */
  finish(id: number): void {
    this.#queued.delete(id);
    this.#abortedWhileQueued.delete(id);
    this.#active.delete(id);
  }

  /** Number of ids held in any set (for leak checks). */
  get size(): number {
    return this.#queued.size + this.#abortedWhileQueued.size + this.#active.size;
  }
}
