import assert from "node:assert/strict";
import zlib from "node:zlib";
import { BrotliCompressor } from "../../../lib/web/brotli.ts";
import { farRepeats } from "./_fixtures/far_repeats.ts";

const farRepeatsBytes = () => new TextEncoder().encode(farRepeats());

Deno.test("BrotliCompressor compresses in its Worker: the bytes decode to the input, smaller than gzip", async () => {
  const brotli = new BrotliCompressor();
  try {
    const input = farRepeatsBytes();
    assert.equal(brotli.running, false, "no Worker before the first job");
    const out = await brotli.compress(input)!;
    assert.equal(brotli.running, true);
    assert.deepEqual(new Uint8Array(zlib.brotliDecompressSync(out)), input);
    const gzip = zlib.gzipSync(input).byteLength;
    // The second copy costs Brotli almost nothing; gzip's window cannot reach it.
    assert.ok(out.byteLength < 0.6 * gzip, `brotli ${out.byteLength} bytes, gzip ${gzip}`);
    assert.equal(brotli.queued, 0);
  } finally {
    brotli.close();
  }
});

Deno.test("BrotliCompressor declines when its queue is full, and after close", async () => {
  const brotli = new BrotliCompressor({ maxQueued: 2 });
  const input = farRepeatsBytes();
  const jobs = [brotli.compress(input), brotli.compress(input)];
  assert.equal(brotli.compress(input), null, "a third job is declined");
  assert.equal(brotli.queued, 2);
  const results = await Promise.all(jobs);
  assert.deepEqual(results[0], results[1]);
  const again = brotli.compress(input);
  assert.ok(again, "room again once the jobs finished");
  await again;
  const running = brotli.compress(input)!;
  brotli.close();
  await assert.rejects(running, /closed/);
  assert.equal(brotli.running, false);
  assert.equal(brotli.compress(input), null);
});

Deno.test("BrotliCompressor rejects the jobs of a Worker that fails, and starts a new one for the next", async () => {
  const brotli = new BrotliCompressor({
    workerUrl: new URL("./_fixtures/failing_brotli_worker.ts", import.meta.url),
  });
  try {
    await assert.rejects(
      brotli.compress(new Uint8Array([1, 2, 3]))!,
      /the Brotli worker failed: .*worker broke/,
    );
    assert.equal(brotli.running, false);
    assert.equal(brotli.queued, 0);
    const next = brotli.compress(new Uint8Array([4]));
    assert.ok(next, "a later job is taken");
    assert.equal(brotli.running, true);
    await assert.rejects(next!, /worker broke/);
  } finally {
    brotli.close();
  }
});
