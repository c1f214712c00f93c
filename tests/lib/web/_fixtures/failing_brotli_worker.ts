/// <reference lib="deno.worker" />
/** A Brotli Worker that fails on its first job (for `brotli_test.ts`). */
self.onmessage = () => {
  throw new Error("worker broke");
};
