/**
 * A provider started on first use. The tiny local model loads tfjs and its checkpoint into a Worker;
 * when another provider answers by default, that cost is paid only once someone picks the local
 * model. Its id, label and models are known without starting it.
 */
import type { ChatChunk, ChatModelInfo, ChatProvider, ChatRequest, ProviderHealth } from "./provider.ts";

/** What the picker needs before the provider exists. */
export interface LazyProviderInfo {
  id: string;
  label: string;
  defaultModel: string;
  models: readonly ChatModelInfo[];
  /** Lists the models without starting the provider (e.g. the local model's adapters, rescanned). */
  listModels?: () => Promise<ChatModelInfo[]>;
}

/** A {@link ChatProvider} that calls `start` on its first reply; `started` says whether it has. */
export interface LazyProvider extends ChatProvider {
  readonly started: boolean;
}

/** Wraps `start` (called at most once) as a provider described by `info`. */
export function lazyProvider(info: LazyProviderInfo, start: () => ChatProvider): LazyProvider {
  let inner: ChatProvider | null = null;
  let closed = false;
  const get = () => (inner ??= start());
  return {
    ...info,
    ...(info.listModels
      ? { listModels: () => inner?.listModels ? inner.listModels() : info.listModels!() }
      : {}),
    get started() {
      return inner !== null;
    },
    stream(request: ChatRequest): AsyncIterable<ChatChunk> {
      return get().stream(request);
    },
    health(signal?: AbortSignal): Promise<ProviderHealth> {
      // Not started: nothing to check yet (its checkpoint was found at start), and a health probe
      // should not load a model nobody asked for.
      if (!inner) {
        return Promise.resolve({ ok: !closed, latencyMs: 0, ...(closed ? { error: "shut down" } : {}) });
      }
      return inner.health(signal);
    },
    async close() {
      closed = true;
      await inner?.close?.();
    },
  };
}
