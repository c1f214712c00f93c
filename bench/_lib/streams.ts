/**
 * Timing of streamed replies for the provider benches (`chat-providers`, `openai-provider`): a bare
 * fetch reading the SSE frames against a provider's `stream()`, each checked against the expected
 * text, and N streams at once.
 */
import type { ChatProvider } from "../../lib/chat/provider.ts";

/** Time to the first text and to the end of one stream. */
export interface StreamSample {
  ttftMs: number;
  totalMs: number;
}

/** The `p`-th percentile of `values` (the value at index ⌊p/100·n⌋ of the sorted copy). */
export function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Median of one field of the samples. */
export function median(samples: StreamSample[], key: keyof StreamSample): number {
  return pct(samples.map((x) => x[key]), 50);
}

/**
 * Reads an SSE response to its end: frames end with `separator` (`"\n\n"`, or `"\r\n\r\n"` for
 * Google's), each frame's payload follows `data: `, and `textOf` returns the text piece a payload
 * carries ("" for none). Throws unless the pieces make `expected`. `t0` is when the request was sent.
 */
export async function timeSse(
  t0: number,
  res: Response,
  separator: string,
  textOf: (data: string) => string,
  expected: string,
): Promise<StreamSample> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let text = "";
  let ttft = -1;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let i;
    while ((i = buffer.indexOf(separator)) !== -1) {
      const data = buffer.slice(6, i);
      buffer = buffer.slice(i + separator.length);
      const piece = textOf(data);
      if (piece) {
        text += piece;
        if (ttft < 0) ttft = performance.now() - t0;
      }
    }
  }
  if (text !== expected) throw new Error("raw: wrong text");
  return { ttftMs: ttft, totalMs: performance.now() - t0 };
}

/** Streams `prompt` through `provider` (with `model` when given); throws unless the text is `expected`. */
export async function timeProvider(
  provider: ChatProvider,
  prompt: string,
  expected: string,
  model?: string,
): Promise<StreamSample> {
  const t0 = performance.now();
  let ttft = -1;
  let text = "";
  for await (
    const chunk of provider.stream({
      history: [{ role: "user", content: prompt }],
      ...(model === undefined ? {} : { model }),
      signal: new AbortController().signal,
    })
  ) {
    if (chunk.type !== "text") continue;
    if (ttft < 0) ttft = performance.now() - t0;
    text += chunk.text;
  }
  if (text !== expected) throw new Error(`${provider.id}: wrong text`);
  return { ttftMs: ttft, totalMs: performance.now() - t0 };
}

/** `n` runs of `fn` at once: the samples of those that succeeded, the failures, and the wall time. */
export async function concurrently(
  fn: () => Promise<StreamSample>,
  n: number,
): Promise<{ ok: StreamSample[]; errors: number; wallMs: number }> {
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: n }, () => fn()));
  const wallMs = performance.now() - t0;
  const ok = results.filter((r): r is PromiseFulfilledResult<StreamSample> => r.status === "fulfilled")
    .map((r) => r.value);
  return { ok, errors: results.length - ok.length, wallMs };
}
