/**
 * Rendered pages kept in memory by a key that names everything they were rendered from (the owner's
 * data version, the URL, the theme...), so a page whose inputs have not changed is answered without
 * loading or rendering it again. Correctness rests on the key: the caller must put every input of
 * the page in it (see `components/chat/cached_page.ts`). Bounded by total bytes; the least recently
 * used pages go first. Only 200 responses are kept.
 *
 * Each kept page is also gzipped once (`CompressionStream`), and sent gzipped to clients that accept
 * it: a 200-message conversation is about 330 KB of HTML and 10 times less gzipped, and `Deno.serve`
 * does not compress by itself.
 *
 * A kept page's responses are built from ready `Headers` (one per encoding, made once per page)
 * holding its own headers, `Vary`, and the security headers ({@link SECURITY_HEADERS}): Deno copies
 * a `Headers` given to a response without checking each value again, and a response whose headers
 * are not touched after it is built is sent on Deno's fast path (docs/performance.md, round five).
 */
import { builtSecure, SECURITY_HEADERS } from "./middleware/security_headers.ts";
import { remembered } from "../remembered.ts";

/** A kept page: its body, gzipped and not, and the headers to send with each. */
interface Entry {
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  bodyHeaders: Headers;
  gzipHeaders: Headers;
}

/** Default bound of {@link PageCache}: 32 MiB of page bodies. */
export const DEFAULT_PAGE_CACHE_BYTES = 32 * 1024 * 1024;

/** True when an `Accept-Encoding` header value accepts gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | null): boolean {
  return header ? gzipAnswer(header) : false;
}

/** Remembered by header value: browsers send a handful of values, each on every request. */
const gzipAnswer = remembered(parseAcceptsGzip, 256);

function parseAcceptsGzip(header: string): boolean {
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(",")) {
    const [coding, ...params] = part.split(";").map((p) => p.trim());
    const q = params.find((p) => p.startsWith("q="));
    weights.set(coding, q === undefined ? 1 : Number(q.slice(2)));
  }
  const weight = weights.get("gzip") ?? weights.get("*");
  return weight !== undefined && weight > 0;
}

/** Least-recently-used cache of rendered pages, bounded by the bytes of their bodies. */
export class PageCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  /** Answers given from the cache, and lookups that found nothing (since start). */
  readonly stats = { hits: 0, misses: 0 };

  /** `maxBytes`: most body bytes kept, both encodings counted (0 disables the cache). */
  constructor(readonly maxBytes = DEFAULT_PAGE_CACHE_BYTES) {}

  /** Bytes of the page bodies kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Pages kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /** A new response for the page kept under `key` (gzipped when `gzip`), or null. */
  get(key: string, gzip = false): Response | null {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    this.#entries.delete(key); // most recently used last
    this.#entries.set(key, entry);
    return respond(entry, gzip);
  }

  /**
   * Keeps `res` under `key` when it is a 200 that fits, and returns a response to send in its
   * place (gzipped when `gzip`; the body of `res` is read here).
   */
  async put(key: string, res: Response, gzip = false): Promise<Response> {
    if (res.status !== 200 || this.maxBytes === 0) return res;
    const body = new Uint8Array(await res.arrayBuffer());
    const zipped = new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip")));
    const headers = [
      ...[...res.headers].filter(([name]) => name !== "content-length"),
      ...SECURITY_HEADERS,
      ["vary", "accept-encoding"],
    ] as [string, string][];
    const entry: Entry = {
      body,
      gzip: new Uint8Array(await zipped.arrayBuffer()),
      bodyHeaders: new Headers(headers),
      gzipHeaders: new Headers([...headers, ["content-encoding", "gzip"]]),
    };
    const size = entry.body.byteLength + entry.gzip.byteLength;
    if (size <= this.maxBytes) {
      this.#remove(key);
      this.#entries.set(key, entry);
      this.#bytes += size;
      while (this.#bytes > this.maxBytes) this.#remove(this.#entries.keys().next().value!);
    }
    return respond(entry, gzip);
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.body.byteLength + entry.gzip.byteLength;
  }
}

function respond(entry: Entry, gzip: boolean): Response {
  return builtSecure(
    gzip
      ? new Response(entry.gzip, { status: 200, headers: entry.gzipHeaders })
      : new Response(entry.body, { status: 200, headers: entry.bodyHeaders }),
  );
}
