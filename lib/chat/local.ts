/**
 * The tiny local model as a {@link ChatProvider}: the checkpoint in `LOCAL_MODEL_DIR` (a small GPT
 * trained by `deno task train`, with its own LoRA instruction adapter if it has one) runs in a Worker, so
 * sampling never blocks the server. Besides the plain model (`local-tiny`), every LoRA adapter found in
 * `RUNS_DIR` / `ADAPTERS_DIR` that fits the checkpoint (see `./local_adapters.ts`) is a model
 * `local:<name>`: the Worker holds the base once and switches adapters per request. Alpaca-trained models
 * see the last user message as the instruction; chat-trained ones (ChatML) see the system prompt and the
 * whole conversation (the model's context is small: the prompt keeps its tail). It is tiny and mostly
 * babbles.
 */
import { ChatError } from "./errors.ts";
import { type AdapterDiscovery, findLocalAdapters, type LocalAdapter } from "./local_adapters.ts";
import type { GenerationParams } from "./local_host.ts";
import { defaultLocalWorkers, LocalWorkerPool } from "./local_pool.ts";
import { localPrompt } from "./local_prompt.ts";
import type { ChatChunk, ChatModelInfo, ChatProvider, ChatRequest, ProviderHealth } from "./provider.ts";

/** Messages to the worker. */
export type WorkerRequest =
  | { type: "load"; modelDir: string }
  | { type: "generate"; id: number } & GenerationParams
  | { type: "abort"; id: number }
  | { type: "close" };

/** Messages from the worker. */
export type WorkerReply =
  | { type: "ready"; loadMs: number; parameters: number; adapter: boolean }
  | { type: "failed"; message: string }
  | { type: "token"; id: number; text: string }
  | {
    type: "done";
    id: number;
    promptTokens: number;
    completionTokens: number;
    /** Generation wall time, ms (tokens/s = completionTokens / generateMs · 1000). */
    generateMs: number;
    /** Adapter folders the Worker has read so far. */
    adapterLoads: number;
    aborted: boolean;
  }
  | { type: "error"; id: number; message: string }
  | { type: "closed" };

/** The one model id the local provider offers. */
export const LOCAL_MODEL_ID = "local-tiny";
/** Its label in the UI. */
export const LOCAL_MODEL_LABEL = "Tiny local model";

/** Options of {@link createLocalProvider}. */
export interface LocalProviderOptions {
  /** Checkpoint folder (config.json, model.safetensors, tokenizer.json, optional adapter/). */
  modelDir: string;
  /** Most tokens per reply. Default 64. */
  maxNewTokens?: number;
  /** Sampling. Defaults: temperature 0.7, top-k 40, top-p 0.9. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seed of the first reply (each reply uses the next one); default from the clock. */
  seed?: number;
  /** Where to look for adapters (`RUNS_DIR`, `ADAPTERS_DIR`); none when both are unset. */
  runsDir?: string;
  adaptersDir?: string;
  /** Adapters already found (skips the first scan). */
  discovered?: AdapterDiscovery;
  /** Workers generating at once (each holds the model); default {@link defaultLocalWorkers}. */
  workers?: number;
  /** Told about each finished reply (the server logs tokens/s). */
  onReply?: (stats: LocalReplyStats) => void;
}

/** Facts about one finished reply. */
export interface LocalReplyStats {
  model: string;
  promptTokens: number;
  completionTokens: number;
  generateMs: number;
  tokensPerSecond: number;
  adapterLoads: number;
}

/** The models of the local provider: the plain model, then one per adapter. */
export function localModels(adapters: readonly LocalAdapter[]): ChatModelInfo[] {
  return [
    { id: LOCAL_MODEL_ID, label: LOCAL_MODEL_LABEL },
    ...adapters.map((a) => ({ id: a.id, label: a.label })),
  ];
}

/** Facts about the loaded model. */
export interface LocalModelInfo {
  loadMs: number;
  parameters: number;
  adapter: boolean;
}

type Listener = (m: WorkerReply) => void;

/** The local provider; `close()` stops its Workers. */
export interface LocalProvider extends ChatProvider {
  /** Size of its Worker pool: replies generated at once. */
  readonly workers: number;
  /** Resolves when every Worker has loaded (`ready()` resolves with the first). */
  allReady(): Promise<void>;
  /** Resolves when the checkpoint is loaded (rejects when it cannot be). */
  ready(): Promise<LocalModelInfo>;
  /**
   * Stops the worker and resolves once it has stopped between two calls into native code (or after
   * {@link CLOSE_GRACE_MS} when it does not answer). Terminating it mid-call and then exiting the
   * process crashed it (docs/hardening.md, "The exit-134 flake").
   */
  close(): Promise<void>;
}

/** How long `close()` waits for the worker to stop by itself before terminating it. */
export const CLOSE_GRACE_MS = 5_000;

/** Starts the Workers (they load the checkpoint right away) and returns the provider. */
export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  const pool = new LocalWorkerPool(options.modelDir, options.workers ?? defaultLocalWorkers());
  const readyPromise = pool.ready();
  let seed = options.seed ?? Date.now() % 2_147_483_647;
  let closed = false;
  let closing: Promise<void> | null = null;

  let adapters: LocalAdapter[] = options.discovered?.adapters ?? [];
  const scan = options.runsDir || options.adaptersDir
    ? () =>
      findLocalAdapters({
        modelDir: options.modelDir,
        runsDir: options.runsDir,
        adaptersDir: options.adaptersDir,
      })
    : null;

  async function* stream(request: ChatRequest): AsyncGenerator<ChatChunk> {
    if (closed) throw new ChatError("upstream_unavailable", "The local model has been shut down.");
    if (request.signal.aborted) throw new ChatError("aborted");
    try {
      await readyPromise;
    } catch (e) {
      throw new ChatError("upstream_unavailable", "The local model could not be loaded.", {
        detail: (e as Error).message,
      });
    }
    const modelId = request.model ?? LOCAL_MODEL_ID;
    let adapter: LocalAdapter | undefined;
    if (modelId !== LOCAL_MODEL_ID) {
      adapter = adapters.find((a) => a.id === modelId);
      if (!adapter && scan) adapter = (adapters = (await scan()).adapters).find((a) => a.id === modelId);
      if (!adapter) {
        throw new ChatError("bad_request", `The local model has no adapter "${modelId.slice(0, 120)}".`);
      }
    }
    const { prompt, stop } = localPrompt(
      adapter?.template ?? "alpaca",
      request.history,
      request.systemPrompt,
    );
    const pending: WorkerReply[] = [];
    let wake: (() => void) | null = null;
    const job = pool.generate(
      {
        adapter: adapter ? { name: adapter.name, dir: adapter.dir } : null,
        prompt,
        stop,
        maxNewTokens: options.maxNewTokens ?? 64,
        temperature: options.temperature ?? 0.7,
        topK: options.topK ?? 40,
        topP: options.topP ?? 0.9,
        seed: seed++,
      },
      (m) => {
        pending.push(m);
        wake?.();
      },
    );
    const onAbort = () => job.abort();
    request.signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (true) {
        if (pending.length === 0) {
          await new Promise<void>((resolve) => wake = resolve);
          wake = null;
          continue;
        }
        const m = pending.shift()!;
        if (m.type === "token") yield { type: "text", text: m.text };
        else if (m.type === "error") throw new ChatError("stream_broken", undefined, { detail: m.message });
        else if (m.type === "done") {
          if (m.aborted || request.signal.aborted) throw new ChatError("aborted");
          const total = m.promptTokens + m.completionTokens;
          options.onReply?.({
            model: modelId,
            promptTokens: m.promptTokens,
            completionTokens: m.completionTokens,
            generateMs: m.generateMs,
            tokensPerSecond: m.generateMs > 0 ? m.completionTokens / (m.generateMs / 1000) : 0,
            adapterLoads: m.adapterLoads,
          });
          yield {
            type: "usage",
            promptTokens: m.promptTokens,
            completionTokens: m.completionTokens,
            totalTokens: total,
          };
          return;
        }
      }
    } finally {
      request.signal.removeEventListener("abort", onAbort);
      job.release();
      // A consumer that stopped reading early must not leave the worker generating.
      job.abort();
    }
  }

  return {
    id: "local",
    label: LOCAL_MODEL_LABEL,
    defaultModel: LOCAL_MODEL_ID,
    get models() {
      return localModels(adapters);
    },
    ...(scan
      ? {
        async listModels(): Promise<ChatModelInfo[]> {
          adapters = (await scan()).adapters;
          return localModels(adapters);
        },
      }
      : {}),
    stream,
    ready: () => readyPromise,
    async health(): Promise<ProviderHealth> {
      const t0 = performance.now();
      try {
        await readyPromise;
        return { ok: !closed, latencyMs: performance.now() - t0, error: closed ? "shut down" : undefined };
      } catch (e) {
        return {
          ok: false,
          latencyMs: performance.now() - t0,
          error: `local model failed to load: ${(e as Error).message}`,
        };
      }
    },
    workers: pool.size,
    allReady: () => pool.allReady(),
    close() {
      closing ??= (async () => {
        closed = true;
        await pool.close(CLOSE_GRACE_MS);
      })();
      return closing;
    },
  };
}
