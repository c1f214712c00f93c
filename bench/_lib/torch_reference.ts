/**
 * Drives `bench/torch_reference.py --serve` from a bench: one long-lived PyTorch process per thread
 * count, so the bench can alternate "our step" and "PyTorch's step" in the same run (under the same
 * machine load) instead of timing the two sides minutes apart.
 */
import type { FixtureConfig } from "../transformer_fixture.ts";

/** A running PyTorch reference model (one process, fixed thread count). */
export interface TorchReference {
  /** `torch.__version__`, threads and interpreter, for the bench's notes. */
  description: string;
  /** Loss of the first (untimed) step: the same model starts near ln(vocab) on both sides. */
  firstLoss: number;
  /** Runs `n` timed training steps; returns each step's milliseconds and the last loss. */
  steps(n: number): Promise<{ times: number[]; loss: number }>;
  /** Ends the process. */
  close(): Promise<void>;
}

const script = new URL("../torch_reference.py", import.meta.url).pathname;

/** Reads stdout line by line. */
class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  constructor(stream: ReadableStream<BufferSource>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }
  async next(): Promise<string | null> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer += value;
    }
    const i = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, i);
    this.#buffer = this.#buffer.slice(i + 1);
    return line;
  }
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

/**
 * Starts the PyTorch reference for `config` with `threads` intra-op and OpenBLAS threads, or returns
 * why it cannot (no interpreter with torch: the bench prints the reason and skips the column).
 */
export async function startTorchReference(
  config: FixtureConfig,
  threads: number,
): Promise<TorchReference | string> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    let probe;
    try {
      probe = await new Deno.Command(python, { args: ["-c", "import torch"], stderr: "null" }).output();
    } catch {
      continue; // interpreter missing: try the next
    }
    if (probe.code !== 0) continue;
    const child = new Deno.Command(python, {
      args: [script, "--serve", JSON.stringify(config), String(threads)],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = new LineReader(child.stdout);
    const stderr = new Response(child.stderr).text();
    const writer = child.stdin.getWriter();
    const first = await lines.next();
    if (first === null) {
      await child.status;
      return `PyTorch reference failed: ${(await stderr).trim().split("\n").pop()}`;
    }
    const ready = JSON.parse(first) as { torch: string; threads: number; firstLoss: number };
    return {
      description: `PyTorch ${ready.torch}, ${ready.threads} thread${
        ready.threads === 1 ? "" : "s"
      } (${python})`,
      firstLoss: ready.firstLoss,
      async steps(n) {
        await writer.write(new TextEncoder().encode(`${n}\n`));
        const line = await lines.next();
        if (line === null) throw new Error(`PyTorch reference exited: ${(await stderr).trim()}`);
        return JSON.parse(line);
      },
      async close() {
        await writer.write(new TextEncoder().encode("0\n")).catch(() => {});
        await writer.close().catch(() => {});
        await child.status;
        await lines.cancel().catch(() => {});
        await stderr;
      },
    };
  }
  return "PyTorch not installed (Debian: apt-get install python3-torch); skipped";
}
