/// <reference lib="deno.worker" />
/**
 * The Worker behind {@link BrotliCompressor}: compresses each job's bytes with Brotli. It exists
 * because Deno's `node:zlib` compresses on the calling thread, even in its callback form (a 210 KB
 * page at quality 10 blocked the event loop for 80 ms), and the Compression Streams API offers no
 * quality setting (its Brotli keeps gzip's size on a chat page).
 */
import zlib from "node:zlib";
import type { BrotliJob, BrotliResult } from "./brotli.ts";

const post = (result: BrotliResult, transfer: Transferable[] = []) => self.postMessage(result, { transfer });

self.onmessage = (e: MessageEvent<BrotliJob>) => {
  const { id, bytes, quality } = e.data;
  try {
    const out = zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
      },
    });
    // A copy of its own (a Buffer may view part of a larger one), moved rather than copied back.
    const own = new Uint8Array(out);
    post({ id, bytes: own }, [own.buffer]);
  } catch (error) {
    post({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
