/**
 * The retry loop of the hosted providers (`gemini.ts`, `openai.ts`), written once: each attempt gets
 * its own AbortController (aborted by the caller's signal, by an idle timer, and when the attempt
 * ends), a failure is classified by the provider, and it is retried per {@link planRetry} only while
 * no text has reached the caller. The provider supplies the attempt itself and the classification;
 * the policy (which errors, how long to wait) stays in `retry.ts`.
 */
import type { ChatError } from "./errors.ts";
import type { ChatChunk } from "./provider.ts";
import { planRetry, type RetryPolicy, sleep } from "./retry.ts";

/** What the loop knows about one attempt that a thrown error does not say. */
export interface AttemptState {
  /** The caller's signal aborted. */
  callerAborted: boolean;
  /** The idle timer fired. */
  timedOut: boolean;
  /** Text was already handed to the caller (no retry; transport failures are `stream_broken`). */
  yieldedText: boolean;
}

/** What an attempt is given by the loop. */
export interface Attempt {
  /** Aborted when the caller aborts, the idle timer fires, or the attempt ends. */
  readonly signal: AbortSignal;
  /**
   * Passes `upstream` through, timing the waits: the idle timer is stopped when a chunk arrives and
   * started again when the attempt asks for the next one, so time the caller spends on a chunk does
   * not count.
   */
  idle<T>(upstream: AsyncIterable<T>): AsyncGenerator<T, void, undefined>;
}

/** The provider's side of {@link retryingStream}. */
export interface RetryingStreamOptions<C extends AttemptState> {
  /** The caller's signal (Stop). */
  signal: AbortSignal;
  policy: RetryPolicy;
  /** Random source for backoff jitter. */
  random: () => number;
  /** Longest wait for the first chunk and between chunks, ms. */
  timeoutMs: number;
  /** Message of the `TimeoutError` the attempt is aborted with when the idle timer fires. */
  timeoutMessage: string;
  /** A fresh state for each attempt (a provider may add fields, e.g. the last HTTP status seen). */
  newState(): C;
  /** One attempt: calls the upstream with `attempt.signal` and yields its chunks. */
  run(state: C, attempt: Attempt): AsyncGenerator<ChatChunk, void, undefined>;
  /** Maps anything an attempt threw to a ChatError. */
  classify(error: unknown, state: C): ChatError;
  /** The error thrown when the caller aborts during the wait before a retry. */
  abortedWhileWaiting(reason: unknown): ChatError;
}

/**
 * Streams a reply through attempts of `options.run` until one completes, a failure is not retryable
 * (or comes after text was yielded), or the retry budget is spent; then throws the classified error.
 */
export async function* retryingStream<C extends AttemptState>(
  options: RetryingStreamOptions<C>,
): AsyncGenerator<ChatChunk, void, undefined> {
  const { signal } = options;
  let retries = 0;
  let waitedMs = 0;
  while (true) {
    const state = options.newState();
    const controller = new AbortController();
    const onCallerAbort = () => {
      state.callerAborted = true;
      controller.abort(signal.reason);
    };
    if (signal.aborted) onCallerAbort();
    else signal.addEventListener("abort", onCallerAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.timedOut = true;
        controller.abort(new DOMException(options.timeoutMessage, "TimeoutError"));
      }, options.timeoutMs);
    };
    const attempt: Attempt = {
      signal: controller.signal,
      async *idle<T>(upstream: AsyncIterable<T>) {
        for await (const chunk of upstream) {
          clearTimeout(timer);
          yield chunk;
          arm();
        }
      },
    };
    try {
      if (state.callerAborted) throw signal.reason;
      arm();
      for await (const chunk of options.run(state, attempt)) {
        if (chunk.type === "text") state.yieldedText = true;
        yield chunk;
      }
      return;
    } catch (e) {
      const error = options.classify(e, state);
      const wait = state.yieldedText
        ? null
        : planRetry(error, { retries, waitedMs }, options.policy, options.random);
      if (wait === null) throw error;
      clearTimeout(timer);
      controller.abort(new DOMException("retrying", "AbortError"));
      try {
        await sleep(wait, signal);
      } catch (abortReason) {
        throw options.abortedWhileWaiting(abortReason);
      }
      retries++;
      waitedMs += wait;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onCallerAbort);
      // Cancels the upstream body when the consumer stopped early or an error ended the attempt.
      controller.abort(new DOMException("stream finished", "AbortError"));
    }
  }
}
