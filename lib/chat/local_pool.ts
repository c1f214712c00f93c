/**
 * The local model's Workers: `size` of them, each holding the checkpoint (base weights once per
 * Worker, see `./local_host.ts`) and generating one reply at a time, so up to `size` replies are
 * generated at once, each on its own thread. The pool is ready as soon as one Worker has loaded (the
 * others load meanwhile, so startup is not slower than with one). A request goes to the Worker with
 * the fewest requests (ties: a loaded one, then the lowest index); beyond `size` concurrent requests
 * they queue in the Workers. Why a pool
 * rather than batched decoding: the tiny model's step is dominated by per-op overhead, not by
 * matrix width, and a pool keeps each reply's sampling, adapter and abort independent.
 */
import type { LocalModelInfo, WorkerReply, WorkerRequest } from "./local.ts";

/** Default pool size: half the cores, at least 2 (two chats both progress), at most 4 (memory). */
export function defaultLocalWorkers(cores = navigator.hardwareConcurrency ?? 2): number {
  return Math.min(4, Math.max(2, Math.floor(cores / 2)));
}

/** A generation request without its id (the pool numbers requests). */
export type GenerateRequest = Omit<Extract<WorkerRequest, { type: "generate" }>, "type" | "id">;

/** Replies of one request: tokens, then `done` or `error`. */
export type RequestListener = (m: Extract<WorkerReply, { id: number }>) => void;

/** One Worker of the pool. */
interface Slot {
  worker: Worker;
  listeners: Map<number, RequestListener>;
  ready: Promise<LocalModelInfo>;
  loaded: boolean;
  closed: Promise<void>;
  gone: boolean;
}

/** A started request: its id and how to stop it. */
export interface PoolRequest {
  readonly id: number;
  /** Index of the Worker generating it (tests and logs). */
  readonly worker: number;
  /** Asks its Worker to stop generating it (harmless once it has ended). */
  abort(): void;
  /** Stops listening (after the final message, or when the consumer left). */
  release(): void;
}

/** `size` Workers loading `modelDir`. */
export class LocalWorkerPool {
  readonly size: number;
  readonly #slots: Slot[];
  readonly #ready: Promise<LocalModelInfo>;
  readonly #allReady: Promise<void>;
  #nextId = 1;

  constructor(modelDir: string, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("the pool needs at least one Worker");
    this.size = size;
    this.#slots = Array.from({ length: size }, () => startSlot(modelDir));
    // Ready with the first Worker; failed when every one failed (they load the same files).
    this.#ready = Promise.any(this.#slots.map((s) => s.ready)).catch((e: AggregateError) => {
      throw e.errors[0];
    });
    this.#ready.catch(() => {});
    this.#allReady = Promise.all(this.#slots.map((s) => s.ready)).then(() => {});
    this.#allReady.catch(() => {});
  }

  /** Resolves when one Worker has loaded the checkpoint; rejects when none can. */
  ready(): Promise<LocalModelInfo> {
    return this.#ready;
  }

  /** Resolves when every Worker has loaded the checkpoint; rejects when one cannot. */
  allReady(): Promise<void> {
    return this.#allReady;
  }

  /** Requests being generated or queued, per Worker. */
  load(): number[] {
    return this.#slots.map((s) => s.listeners.size);
  }

  /** Sends `request` to the least busy Worker; `listener` gets its tokens and its end. */
  generate(request: GenerateRequest, listener: RequestListener): PoolRequest {
    const id = this.#nextId++;
    let index = 0;
    for (let i = 1; i < this.#slots.length; i++) {
      const [a, b] = [this.#slots[i], this.#slots[index]];
      if (
        a.listeners.size < b.listeners.size ||
        (a.listeners.size === b.listeners.size && a.loaded && !b.loaded)
      ) {
        index = i;
      }
    }
    const slot = this.#slots[index];
    slot.listeners.set(id, listener);
    slot.worker.postMessage({ type: "generate", id, ...request } satisfies WorkerRequest);
    return {
      id,
      worker: index,
      abort: () => {
        if (!slot.gone) slot.worker.postMessage({ type: "abort", id } satisfies WorkerRequest);
      },
      release: () => {
        slot.listeners.delete(id);
      },
    };
  }

  /**
   * Stops every Worker, each between two calls into native code (or after `graceMs` when one does
   * not answer), then terminates them (docs/hardening.md, "The exit-134 flake").
   */
  async close(graceMs: number): Promise<void> {
    await Promise.all(this.#slots.map(async (slot) => {
      if (!slot.gone) {
        slot.worker.postMessage({ type: "close" } satisfies WorkerRequest);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
        await Promise.race([slot.closed, grace]);
        clearTimeout(timer);
      }
      slot.worker.terminate();
    }));
  }
}

function startSlot(modelDir: string): Slot {
  const worker = new Worker(new URL("./local_worker.ts", import.meta.url), { type: "module" });
  const listeners = new Map<number, RequestListener>();
  const { promise: closed, resolve: onClosed } = Promise.withResolvers<void>();
  const { promise: ready, resolve: onReady, reject: onFailed } = Promise.withResolvers<LocalModelInfo>();
  ready.catch(() => {});
  const slot: Slot = { worker, listeners, ready, loaded: false, closed, gone: false };
  worker.onmessage = (e: MessageEvent<WorkerReply>) => {
    const m = e.data;
    if (m.type === "closed") onClosed();
    else if (m.type === "ready") {
      slot.loaded = true;
      onReady({ loadMs: m.loadMs, parameters: m.parameters, adapter: m.adapter });
    } else if (m.type === "failed") onFailed(new Error(m.message));
    else listeners.get(m.id)?.(m);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    slot.gone = true;
    onClosed();
    onFailed(new Error(e.message));
    for (const [id, l] of listeners) l({ type: "error", id, message: e.message });
  };
  worker.postMessage({ type: "load", modelDir } satisfies WorkerRequest);
  return slot;
}
