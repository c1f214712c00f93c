import assert from "node:assert/strict";
import { PageCache } from "../../../lib/web/page_cache.ts";

const page = (text: string, status = 200) =>
  new Response(text, { status, headers: { "content-type": "text/html; charset=utf-8" } });

Deno.test("PageCache keeps 200 pages with their headers and answers them again", async () => {
  const cache = new PageCache(1000);
  assert.equal(cache.get("a"), null);
  const sent = await cache.put("a", page("<p>one</p>"));
  assert.equal(await sent.text(), "<p>one</p>");
  const again = cache.get("a")!;
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await again.text(), "<p>one</p>");
  assert.deepEqual(cache.stats, { hits: 1, misses: 1 });
  assert.equal(cache.bytes, 10);
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
  const cache = new PageCache(30);
  await cache.put("a", page("a".repeat(10)));
  await cache.put("b", page("b".repeat(10)));
  await cache.put("c", page("c".repeat(10)));
  cache.get("a"); // now b is the least recently used
  await cache.put("d", page("d".repeat(10)));
  assert.equal(cache.size, 3);
  assert.equal(cache.bytes, 30);
  assert.equal(cache.get("b"), null);
  assert.equal(await cache.get("a")!.text(), "a".repeat(10));
  // A page larger than the whole bound is sent but not kept; replacing a key frees its old bytes.
  assert.equal(await (await cache.put("huge", page("h".repeat(31)))).text(), "h".repeat(31));
  assert.equal(cache.get("huge"), null);
  await cache.put("a", page("A".repeat(5)));
  assert.equal(cache.bytes, 25);
  assert.equal(await cache.get("a")!.text(), "A".repeat(5));
});
