/**
 * Run by validate_test.ts in a child process with `--expose-gc`: validates the file given as the first
 * argument, forcing a garbage collection every few chunks to sample the live heap, and prints JSON.
 */
import { validateFile } from "../../../ml/data/validate.ts";
import { countGpt2Tokens } from "../../../ml/data/tokens.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
countGpt2Tokens("load the encoder before the baseline");
gc();
const baseline = Deno.memoryUsage().heapUsed;
let peak = baseline;
let chunks = 0;
const report = await validateFile(Deno.args[0], {
  onProgress: () => {
    if (++chunks % 16 === 0) {
      gc();
      peak = Math.max(peak, Deno.memoryUsage().heapUsed);
    }
  },
});
gc();
peak = Math.max(peak, Deno.memoryUsage().heapUsed);
console.log(JSON.stringify({
  baseline,
  peak,
  records: report.records,
  nearDuplicates: report.quality.metrics.nearDuplicateInstruction.indices,
  elapsedMs: report.elapsedMs,
}));
