/**
 * Rendered pages kept in memory by a key that names everything they were rendered from (the owner's
 * data version, the URL, the theme...), so a page whose inputs have not changed is answered without
 * loading or rendering it again. Correctness rests on the key: the caller must put every input of
 * the page in it (see `components/chat/cached_page.ts`). Bounded by total bytes; the least recently
 * used pages go first. Only 200 responses are kept.
 *
 * Each kept page is also gzipped once (`CompressionStream`) and, from its second request by a client
 * that accepts Brotli, compressed with Brotli in a Worker (`brotli.ts`); each client gets the smallest
 * encoding it accepts that is ready. A 200-message conversation is about 210 KB of HTML, 29.6 KB
 * gzipped and 16.3 KB in Brotli; `Deno.serve` does not compress by itself, and the body's size is most
 * of what such a page costs to send (docs/performance.md, round six). A page asked for once never
 * costs a Brotli compression.
 *
 * A kept page's responses are built from ready `Headers` (one per encoding, made once per page)
 * holding its own headers, `Vary`, and the security headers ({@link SECURITY_HEADERS}): Deno copies
 * a `Headers` given to a response without checking each value again, and a response whose headers
 * are not touched after it is built is sent on Deno's fast path (docs/performance.md, round five).
 */
import type { ContentCoding } from "./accept_encoding.ts";
import type { BrotliCompressor } from "./brotli.ts";
import { builtSecure, SECURITY_HEADERS } from "./middleware/security_headers.ts";
import { log } from "../log.ts";

/** One encoding of a kept page: its bytes and the headers to send with them. */
interface Variant {
  body: Uint8Array<ArrayBuffer>;
  headers: Headers;
}

/** A kept page in each encoding it has. */
interface Entry {
  identity: Variant;
  gzip: Variant;
  /** Set once the Worker's Brotli encoding arrived (and was smaller than gzip). */
  br?: Variant;
  /** Headers for the Brotli encoding, made with the others. */
  brHeaders: Headers;
  /** Brotli: not asked for yet, in the Worker, or finished (kept, not smaller, or failed). */
  brotli: "none" | "pending" | "finished";
}

/** Default bound of {@link PageCache}: 32 MiB of page bodies. */
export const DEFAULT_PAGE_CACHE_BYTES = 32 * 1024 * 1024;

/** Least-recently-used cache of rendered pages, bounded by the bytes of their bodies. */
export class PageCache {
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Set<Promise<void>>();
  #bytes = 0;
  /** Answers given from the cache, and lookups that found nothing (since start). */
  readonly stats = { hits: 0, misses: 0 };

  /**
   * `maxBytes`: most body bytes kept, every encoding counted (0 disables the cache). `brotli`: the
   * compressor for Brotli encodings (none: pages are kept plain and gzipped only).
   */
  constructor(
    readonly maxBytes = DEFAULT_PAGE_CACHE_BYTES,
    readonly brotli: BrotliCompressor | null = null,
  ) {}

  /** Bytes of the page bodies kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Pages kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A new response for the page kept under `key`, in the first of `codings` (most preferred first, as
   * `acceptedCodings` gives them) that it has, else as it is; or null. Asking for Brotli that the page
   * does not have yet starts its compression.
   */
  get(key: string, codings: readonly ContentCoding[] = []): Response | null {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    this.#entries.delete(key); // most recently used last
    this.#entries.set(key, entry);
    return respond(this.#variant(key, entry, codings, true));
  }

  /**
   * Keeps `res` under `key` when it is a 200 that fits, and returns a response to send in its
   * place (in the first of `codings` it has; the body of `res` is read here).
   */
  async put(key: string, res: Response, codings: readonly ContentCoding[] = []): Promise<Response> {
    if (res.status !== 200 || this.maxBytes === 0) return res;
    const body = new Uint8Array(await res.arrayBuffer());
    const zipped = new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip")));
    const headers = [
      ...[...res.headers].filter(([name]) => name !== "content-length"),
      ...SECURITY_HEADERS,
      ["vary", "accept-encoding"],
    ] as [string, string][];
    const entry: Entry = {
      identity: { body, headers: new Headers(headers) },
      gzip: {
        body: new Uint8Array(await zipped.arrayBuffer()),
        headers: new Headers([...headers, ["content-encoding", "gzip"]]),
      },
      brHeaders: new Headers([...headers, ["content-encoding", "br"]]),
      brotli: "none",
    };
    const size = sizeOf(entry);
    if (size <= this.maxBytes) {
      this.#remove(key);
      this.#entries.set(key, entry);
      this.#bytes += size;
      this.#evict();
    }
    return respond(this.#variant(key, entry, codings, false));
  }

  /** Settles when no Brotli compression is under way (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Stops the Brotli compressor; kept pages are still answered, in the encodings they have. */
  close(): void {
    this.brotli?.close();
  }

  /** The encoding to send: the first of `codings` the page has (asking for Brotli when `ask`). */
  #variant(key: string, entry: Entry, codings: readonly ContentCoding[], ask: boolean): Variant {
    for (const coding of codings) {
      if (coding === "gzip") return entry.gzip;
      if (entry.br) return entry.br;
      if (ask) this.#compress(key, entry);
    }
    return entry.identity;
  }

  /** Starts the Brotli encoding of a kept page, once; a full queue leaves it for a later request. */
  #compress(key: string, entry: Entry): void {
    if (entry.brotli !== "none" || !this.brotli) return;
    const job = this.brotli.compress(entry.identity.body);
    if (!job) return;
    entry.brotli = "pending";
    const done: Promise<void> = job.then((bytes) => {
      entry.brotli = "finished";
      // Kept only while the page is (it may have been replaced or dropped meanwhile), when smaller.
      if (this.#entries.get(key) !== entry || bytes.byteLength >= entry.gzip.body.byteLength) return;
      if (sizeOf(entry) + bytes.byteLength > this.maxBytes) return;
      entry.br = { body: bytes, headers: entry.brHeaders };
      this.#bytes += bytes.byteLength;
      this.#evict();
    }, (error) => {
      entry.brotli = "finished";
      log.warn("page not compressed with Brotli; gzip is sent instead", {
        error: error instanceof Error ? error.message : String(error),
      });
    }).finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  #evict(): void {
    while (this.#bytes > this.maxBytes) this.#remove(this.#entries.keys().next().value!);
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= sizeOf(entry);
  }
}

/** Body bytes of every encoding a kept page has. */
function sizeOf(entry: Entry): number {
  return entry.identity.body.byteLength + entry.gzip.body.byteLength + (entry.br?.body.byteLength ?? 0);
}

function respond(variant: Variant): Response {
  return builtSecure(new Response(variant.body, { status: 200, headers: variant.headers }));
}
