/**
 * Rendered pages kept in memory by a key that names everything they were rendered from (the owner's
 * data version, the URL, the theme...), so a page whose inputs have not changed is answered without
 * loading or rendering it again. Correctness rests on the key: the caller must put every input of
 * the page in it (see `components/chat/page_cache_key.ts`). Bounded by total bytes; the least
 * recently used pages go first. Only 200 responses are kept.
 */

/** A kept page: its body and the headers it was rendered with. */
interface Entry {
  body: Uint8Array<ArrayBuffer>;
  headers: [string, string][];
}

/** Default bound of {@link PageCache}: 32 MiB of page bodies. */
export const DEFAULT_PAGE_CACHE_BYTES = 32 * 1024 * 1024;

/** Least-recently-used cache of rendered pages, bounded by the bytes of their bodies. */
export class PageCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  /** Answers given from the cache, and lookups that found nothing (since start). */
  readonly stats = { hits: 0, misses: 0 };

  /** `maxBytes`: most body bytes kept (0 disables the cache). */
  constructor(readonly maxBytes = DEFAULT_PAGE_CACHE_BYTES) {}

  /** Bytes of the page bodies kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Pages kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /** A new response for the page kept under `key`, or null. */
  get(key: string): Response | null {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    this.#entries.delete(key); // most recently used last
    this.#entries.set(key, entry);
    return new Response(entry.body, { status: 200, headers: entry.headers });
  }

  /**
   * Keeps `res` under `key` when it is a 200 that fits, and returns a response to send in its
   * place (the body of `res` is read here).
   */
  async put(key: string, res: Response): Promise<Response> {
    if (res.status !== 200 || this.maxBytes === 0) return res;
    const body = new Uint8Array(await res.arrayBuffer());
    const headers = [...res.headers];
    if (body.byteLength <= this.maxBytes) {
      this.#remove(key);
      this.#entries.set(key, { body, headers });
      this.#bytes += body.byteLength;
      while (this.#bytes > this.maxBytes) this.#remove(this.#entries.keys().next().value!);
    }
    return new Response(body, { status: 200, statusText: res.statusText, headers });
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.body.byteLength;
  }
}
