/**
 * The local model with its adapters, as the Worker holds it: the checkpoint's base weights are loaded
 * once, wrapped in {@link LoraAdapters}, and every request picks its adapter with `setAdapter` (PEFT's
 * semantics) — the base weights are never reloaded, copied or modified. Each adapter folder is read the
 * first time a request names it and kept. The checkpoint's own `adapter/` (if any) is the adapter of the
 * plain local model id; it is no longer merged into the base, so the other adapters see the base they were
 * trained on (`deno task train` trains over the unmerged base).
 */
import { exists, loadCheckpoint } from "../../ml/checkpoint.ts";
import { generateTokens } from "../../ml/generate.ts";
import { LoraAdapters } from "../../ml/lora/adapters.ts";
import type { Gpt } from "../../ml/model.ts";
import type { Tokenizer } from "../../ml/tokenizer.ts";
import { StopSequence } from "./local_prompt.ts";

/** Internal name of the checkpoint's own adapter; listed names start with a letter or digit, so none collides. */
const CHECKPOINT_ADAPTER = "__checkpoint";

let baseLoads = 0;

/** How many times any host has loaded base weights in this thread (tests check it stays 1). */
export function baseLoadCount(): number {
  return baseLoads;
}

/** An adapter a request may name: its `local:` name and PEFT folder. */
export interface AdapterRef {
  name: string;
  dir: string;
}

/** The base model, its tokenizer and the adapters loaded so far. */
export class LocalModelHost {
  readonly model: Gpt;
  readonly tokenizer: Tokenizer;
  readonly #adapters: LoraAdapters<Gpt>;
  readonly #dirs = new Map<string, string>();
  readonly #hasOwn: boolean;
  /** Adapter folders read so far (each once). */
  adapterLoads = 0;

  private constructor(model: Gpt, tokenizer: Tokenizer, adapters: LoraAdapters<Gpt>, hasOwn: boolean) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.#adapters = adapters;
    this.#hasOwn = hasOwn;
  }

  /** Loads the checkpoint in `modelDir` (base weights once) and its own adapter, if any. */
  static async load(modelDir: string): Promise<LocalModelHost> {
    const { model, tokenizer } = await loadCheckpoint(modelDir, { adapter: false });
    baseLoads++;
    const adapters = new LoraAdapters(model);
    const own = `${modelDir}/adapter`;
    const hasOwn = await exists(`${own}/adapter_config.json`);
    if (hasOwn) await adapters.loadAdapter(CHECKPOINT_ADAPTER, own);
    return new LocalModelHost(model, tokenizer, adapters, hasOwn);
  }

  /** Whether the checkpoint brought its own adapter. */
  get hasOwnAdapter(): boolean {
    return this.#hasOwn;
  }

  /** Names of the adapters loaded so far (not counting the checkpoint's own). */
  loaded(): string[] {
    return this.#adapters.adapters().filter((n) => n !== CHECKPOINT_ADAPTER);
  }

  /**
   * Makes `adapter` (null: the plain local model) the one the forward pass uses, reading its folder the
   * first time. A name seen before with another folder is refused (names are unique per server).
   */
  async use(adapter: AdapterRef | null): Promise<void> {
    if (adapter === null) {
      if (this.#hasOwn) {
        this.#adapters.enableAdapters();
        this.#adapters.setAdapter(CHECKPOINT_ADAPTER);
      } else this.#adapters.disableAdapters();
      return;
    }
    const known = this.#dirs.get(adapter.name);
    if (known === undefined) {
      await this.#adapters.loadAdapter(adapter.name, adapter.dir);
      this.#dirs.set(adapter.name, adapter.dir);
      this.adapterLoads++;
    } else if (known !== adapter.dir) {
      throw new Error(`adapter "${adapter.name}" was loaded from ${known}, not ${adapter.dir}`);
    }
    this.#adapters.enableAdapters();
    this.#adapters.setAdapter(adapter.name);
  }

  /** Frees the model and every adapter. */
  dispose(): void {
    this.#adapters.unload();
    this.model.dispose();
  }
}

/** What to generate: the part of a reply request that crosses to the Worker as plain data. */
export interface GenerationParams {
  /** Adapter to use; null: the plain local model. */
  adapter: AdapterRef | null;
  /** Formatted prompt (see `./local_prompt.ts`), ending with a continued reply's text, if any. */
  prompt: string;
  /** Text that ends the reply (ChatML's `<|im_end|>`). */
  stop?: string;
  maxNewTokens: number;
  /** 0: greedy. */
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** One reply to generate. */
export interface ReplyRequest extends GenerationParams {
  signal?: AbortSignal;
  /** Told each sampled token id (tests compare them). */
  onToken?: (id: number) => void;
}

/** Counts of a finished reply. */
export interface ReplyStats {
  promptTokens: number;
  completionTokens: number;
  /** Wall time of generation (after the adapter was selected), ms. */
  generateMs: number;
}

// A byte-level model can emit any byte: control characters (NUL cannot even be stored in PostgreSQL
// text) and U+FFFD (what an invalid UTF-8 sequence decodes to) are dropped from replies; newlines and
// tabs are kept.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/g;

/**
 * Generates a reply with the request's adapter, yielding its text piece by piece (control characters
 * removed, the stop sequence held back and never shown); returns the counts. The prompt keeps its tail
 * when longer than the context; the reply may run past blockSize (the context then slides).
 */
export async function* generateReply(
  host: LocalModelHost,
  req: ReplyRequest,
): AsyncGenerator<string, ReplyStats, undefined> {
  await host.use(req.adapter);
  const { model, tokenizer } = host;
  const t0 = performance.now();
  const ids = tokenizer.encode(req.prompt).slice(-Math.max(1, model.config.blockSize - 8));
  const decoder = tokenizer.streamDecoder();
  const stop = new StopSequence(req.stop);
  let completion = 0;
  for await (
    const id of generateTokens(model, ids, {
      temperature: req.temperature,
      topK: req.topK,
      topP: req.topP,
      seed: req.seed,
      maxNewTokens: req.maxNewTokens,
      eosId: tokenizer.eosId,
      signal: req.signal,
    })
  ) {
    completion++;
    req.onToken?.(id);
    if (id === tokenizer.eosId) break;
    const piece = stop.push(decoder.push(id));
    const text = piece.text.replace(CONTROL, "");
    if (text) yield text;
    if (piece.stopped) break;
  }
  const rest = stop.push(decoder.flush());
  const tail = (rest.text + stop.flush()).replace(CONTROL, "");
  if (tail) yield tail;
  return { promptTokens: ids.length, completionTokens: completion, generateMs: performance.now() - t0 };
}
