/**
 * Brotli compression off the main thread, for pages kept in memory (`page_cache.ts`). Brotli's window
 * (4 MiB here) reaches repeats that gzip's 32 KiB cannot: a conversation page carries each message
 * twice, rendered in the HTML and as Markdown in the island's props, far apart. A 200-message page
 * is 29.6 KB gzipped and 16.3 KB with Brotli at quality 10 (docs/performance.md, round six).
 *
 * One Worker (`brotli_worker.ts`), started on the first job, compresses the jobs in order. Jobs are
 * bounded: when {@link BrotliCompressorOptions.maxQueued} are waiting, {@link BrotliCompressor.compress}
 * declines at once and the caller keeps what it has (the page cache sends gzip and asks again later).
 */

/** Brotli quality used by default: 10 compresses a chat page 3.1 times faster than 11, 5 % larger. */
export const DEFAULT_BROTLI_QUALITY = 10;

/** Jobs waiting or running at most, by default. */
export const DEFAULT_MAX_QUEUED = 4;

/** A job sent to the Worker. */
export interface BrotliJob {
  id: number;
  bytes: Uint8Array;
  quality: number;
}

/** The Worker's answer to a job: the compressed bytes, or why it failed. */
export type BrotliResult = { id: number; bytes: Uint8Array<ArrayBuffer> } | { id: number; error: string };

/** Options of {@link BrotliCompressor}. */
export interface BrotliCompressorOptions {
  /** Brotli quality, 0–11 ({@link DEFAULT_BROTLI_QUALITY}). */
  quality?: number;
  /** Jobs waiting or running at most; more are declined ({@link DEFAULT_MAX_QUEUED}). */
  maxQueued?: number;
  /** The Worker module (tests give one that fails). */
  workerUrl?: URL;
}

/** Compresses bytes with Brotli in one Worker, started when first needed. */
export class BrotliCompressor {
  readonly #quality: number;
  readonly #maxQueued: number;
  readonly #workerUrl: URL;
  readonly #jobs = new Map<number, PromiseWithResolvers<Uint8Array<ArrayBuffer>>>();
  #worker: Worker | null = null;
  #lastId = 0;
  #closed = false;

  constructor(options: BrotliCompressorOptions = {}) {
    this.#quality = options.quality ?? DEFAULT_BROTLI_QUALITY;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#workerUrl = options.workerUrl ?? new URL("./brotli_worker.ts", import.meta.url);
  }

  /** Jobs waiting or running now. */
  get queued(): number {
    return this.#jobs.size;
  }

  /** True while the Worker runs. */
  get running(): boolean {
    return this.#worker !== null;
  }

  /**
   * The Brotli encoding of `bytes` (which stay the caller's: they are copied to the Worker), or null
   * at once when the queue is full or the compressor is closed. Rejects when the Worker fails; the
   * next job starts a new one.
   */
  compress(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> | null {
    if (this.#closed || this.#jobs.size >= this.#maxQueued) return null;
    const id = ++this.#lastId;
    const job = Promise.withResolvers<Uint8Array<ArrayBuffer>>();
    this.#jobs.set(id, job);
    this.#start().postMessage({ id, bytes, quality: this.#quality } satisfies BrotliJob);
    return job.promise;
  }

  /** Stops the Worker; jobs not finished reject. Later calls to {@link compress} decline. */
  close(): void {
    this.#closed = true;
    this.#stop(new Error("the Brotli compressor was closed"));
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#workerUrl, { type: "module" });
    worker.onmessage = (e: MessageEvent<BrotliResult>) => {
      const result = e.data;
      const job = this.#jobs.get(result.id);
      if (!job) return;
      this.#jobs.delete(result.id);
      if ("error" in result) job.reject(new Error(`Brotli compression failed: ${result.error}`));
      else job.resolve(result.bytes);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      this.#stop(new Error(`the Brotli worker failed: ${e.message}`));
    };
    return this.#worker = worker;
  }

  #stop(error: Error): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const job of this.#jobs.values()) job.reject(error);
    this.#jobs.clear();
  }
}
