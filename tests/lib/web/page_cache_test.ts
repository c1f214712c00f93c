import assert from "node:assert/strict";
import zlib from "node:zlib";
import { acceptedCodings } from "../../../lib/web/accept_encoding.ts";
import { BrotliCompressor } from "../../../lib/web/brotli.ts";
import { PageCache } from "../../../lib/web/page_cache.ts";
import { farRepeats } from "./_fixtures/far_repeats.ts";
import { SECURITY_HEADERS, securityHeaders } from "../../../lib/web/middleware/security_headers.ts";
import type { RouteContext } from "../../../lib/web/types.ts";

const page = (text: string, status = 200) =>
  new Response(text, { status, headers: { "content-type": "text/html; charset=utf-8" } });

const gunzip = (res: Response) => new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();

Deno.test("PageCache keeps 200 pages with their headers and answers them again, plain or gzipped", async () => {
  const cache = new PageCache(10_000);
  assert.equal(cache.get("a"), null);
  const html = "<p>one</p>".repeat(100);
  const sent = await cache.put("a", page(html));
  assert.equal(await sent.text(), html);
  assert.equal(sent.headers.get("content-encoding"), null);
  const again = cache.get("a")!;
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(again.headers.get("vary"), "accept-encoding");
  assert.equal(await again.text(), html);
  const zipped = cache.get("a", ["gzip"])!;
  assert.equal(zipped.headers.get("content-encoding"), "gzip");
  const zippedBytes = (await zipped.clone().arrayBuffer()).byteLength;
  assert.ok(zippedBytes < html.length / 10, `gzip ${zippedBytes} bytes of ${html.length}`);
  assert.equal(await gunzip(zipped), html);
  assert.deepEqual(cache.stats, { hits: 2, misses: 1 });
  assert.equal(cache.bytes, html.length + zippedBytes);
});

Deno.test("PageCache does not keep other statuses, and 0 bytes disables it", async () => {
  const cache = new PageCache(1000);
  const res = await cache.put("missing", page("gone", 404));
  assert.equal(res.status, 404);
  assert.equal(await res.text(), "gone");
  assert.equal(cache.get("missing"), null);
  const off = new PageCache(0);
  assert.equal(await (await off.put("a", page("x"))).text(), "x");
  assert.equal(off.get("a"), null);
});

Deno.test("PageCache stays within its byte bound, dropping the least recently used page", async () => {
  const probe = new PageCache(10_000);
  await probe.put("x", page("a".repeat(100)));
  const one = probe.bytes; // one 100-character page, both encodings
  const cache = new PageCache(3 * one);
  await cache.put("a", page("a".repeat(100)));
  await cache.put("b", page("b".repeat(100)));
  await cache.put("c", page("c".repeat(100)));
  cache.get("a"); // now b is the least recently used
  await cache.put("d", page("d".repeat(100)));
  assert.equal(cache.size, 3);
  assert.ok(cache.bytes <= 3 * one);
  assert.equal(cache.get("b"), null);
  assert.equal(await cache.get("a")!.text(), "a".repeat(100));
  // A page larger than the whole bound is sent but not kept.
  const huge = crypto.getRandomValues(new Uint8Array(3 * one)).join(",");
  assert.equal(await (await cache.put("huge", page(huge))).text(), huge);
  assert.equal(cache.get("huge"), null);
  assert.equal(cache.size, 3);
});

Deno.test("acceptedCodings reads Accept-Encoding: weights order, Brotli first on a tie, q=0 refuses", () => {
  assert.deepEqual(acceptedCodings("gzip, deflate, br, zstd"), ["br", "gzip"]);
  assert.deepEqual(acceptedCodings("br;q=1.0, GZIP;q=0.5"), ["br", "gzip"]);
  assert.deepEqual(acceptedCodings("br;q=0.4, gzip;q=0.9"), ["gzip", "br"]);
  assert.deepEqual(acceptedCodings("*"), ["br", "gzip"]);
  assert.deepEqual(acceptedCodings("gzip;q=0"), []);
  assert.deepEqual(acceptedCodings("gzip;q=0, *"), ["br"]);
  assert.deepEqual(acceptedCodings("*;q=0, gzip"), ["gzip"]);
  assert.deepEqual(acceptedCodings("gzip;q=nonsense, br"), ["br"]);
  assert.deepEqual(acceptedCodings("gzip, deflate"), ["gzip"]);
  assert.deepEqual(acceptedCodings("identity"), []);
  assert.deepEqual(acceptedCodings("br"), ["br"]);
  assert.deepEqual(acceptedCodings(null), []);
});

Deno.test("kept pages are built with the security headers, and the middleware sends them untouched", async () => {
  const cache = new PageCache(10_000);
  const middleware = securityHeaders();
  const through = (res: Response) =>
    middleware(
      new Request("http://127.0.0.1/"),
      { next: () => Promise.resolve(res) } as RouteContext<unknown>,
    );
  await cache.put("a", page("<p>kept</p>"));
  const headersOf = Object.getOwnPropertyDescriptor(Response.prototype, "headers")!.get!;
  for (const gzip of [false, true]) {
    const kept = cache.get("a", gzip ? ["gzip"] : [])!;
    let touched = 0;
    Object.defineProperty(kept, "headers", { get: () => (touched++, headersOf.call(kept)) });
    const sent = await through(kept);
    assert.equal(sent, kept);
    assert.equal(touched, 0, "the middleware did not touch the kept page's headers");
    for (const [name, value] of SECURITY_HEADERS) assert.equal(sent.headers.get(name), value, name);
    assert.equal(sent.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(sent.headers.get("vary"), "accept-encoding");
    assert.equal(sent.headers.get("content-encoding"), gzip ? "gzip" : null);
  }
  // Any other response gets them from the middleware.
  const other = await through(page("<p>fresh</p>"));
  for (const [name, value] of SECURITY_HEADERS) assert.equal(other.headers.get(name), value, name);
  // Each response has its own copy: changing one changes neither the kept page nor the next response.
  const first = cache.get("a")!;
  first.headers.set("set-cookie", "x=1");
  first.headers.delete("content-security-policy");
  const next = cache.get("a")!;
  assert.equal(next.headers.get("set-cookie"), null);
  assert.equal(next.headers.get("content-security-policy"), SECURITY_HEADERS[0][1]);
});

Deno.test("PageCache asks for Brotli on a page's second request, then sends it to clients that take it", async () => {
  const cache = new PageCache(1_000_000, new BrotliCompressor());
  try {
    const html = farRepeats();
    const browser = acceptedCodings("gzip, deflate, br, zstd");
    const first = await cache.put("a", page(html), browser);
    assert.equal(first.headers.get("content-encoding"), "gzip", "no Brotli yet: gzip");
    await first.body?.cancel();
    await cache.idle();
    assert.equal(cache.brotli!.running, false, "a page asked for once costs no Brotli");
    const bytesBefore = cache.bytes;

    const second = cache.get("a", browser)!;
    assert.equal(second.headers.get("content-encoding"), "gzip", "sent gzip while Brotli runs");
    await second.body?.cancel();
    await cache.idle();
    const third = cache.get("a", browser)!;
    assert.equal(third.headers.get("content-encoding"), "br");
    assert.equal(third.headers.get("vary"), "accept-encoding");
    for (const [name, value] of SECURITY_HEADERS) assert.equal(third.headers.get(name), value, name);
    const br = new Uint8Array(await third.arrayBuffer());
    assert.equal(new TextDecoder().decode(zlib.brotliDecompressSync(br)), html);
    assert.equal(cache.bytes, bytesBefore + br.byteLength, "the Brotli bytes count against the bound");
    const gzip = (await cache.get("a", ["gzip"])!.arrayBuffer()).byteLength;
    assert.ok(br.byteLength < 0.7 * gzip, `brotli ${br.byteLength} bytes, gzip ${gzip}`);
    // Clients that prefer gzip, or take neither, still get what they asked for.
    assert.equal(cache.get("a", acceptedCodings("br;q=0.5, gzip"))!.headers.get("content-encoding"), "gzip");
    const plain = cache.get("a")!;
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.equal(await plain.text(), html);
  } finally {
    cache.close();
  }
});

Deno.test("PageCache drops a Brotli encoding that arrives for a page replaced meanwhile", async () => {
  const cache = new PageCache(1_000_000, new BrotliCompressor());
  try {
    await (await cache.put("a", page(farRepeats()))).body?.cancel();
    await cache.get("a", ["br"])!.body?.cancel(); // starts Brotli of the old page
    const newer = "<p>newer</p>".repeat(50);
    await (await cache.put("a", page(newer))).body?.cancel();
    const bytes = cache.bytes;
    await cache.idle();
    assert.equal(cache.bytes, bytes, "the old page's Brotli was not kept");
    const res = cache.get("a", ["br"])!;
    assert.equal(res.headers.get("content-encoding"), null, "the newer page has no Brotli yet");
    assert.equal(await res.text(), newer);
  } finally {
    cache.close();
  }
});

Deno.test("PageCache keeps sending gzip when Brotli fails, and asks only once per page", async () => {
  const failing = new URL("./_fixtures/failing_brotli_worker.ts", import.meta.url);
  const cache = new PageCache(1_000_000, new BrotliCompressor({ workerUrl: failing }));
  try {
    await (await cache.put("a", page(farRepeats()))).body?.cancel();
    for (let i = 0; i < 3; i++) {
      const res = cache.get("a", ["br", "gzip"])!;
      assert.equal(res.headers.get("content-encoding"), "gzip");
      await res.body?.cancel();
      await cache.idle();
      assert.equal(cache.brotli!.running, false, `request ${i}: no Worker asked for again`);
    }
  } finally {
    cache.close();
  }
});
