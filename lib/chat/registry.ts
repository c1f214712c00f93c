/**
 * Several chat providers behind one {@link ChatProvider}: the registry lists every provider's models
 * (cached), routes a model id to the provider that listed it, and is the model-id allowlist — an id
 * no provider lists is refused. Providers are tried in order for the default model (Gemini, then the
 * OpenAI-compatible servers in configuration order, then the local model).
 */
import { CodedError } from "../../ml/errors.ts";
import { ChatError } from "./errors.ts";
import type { ChatChunk, ChatModelInfo, ChatProvider, ChatRequest, ProviderHealth } from "./provider.ts";

/** A model in the combined list. */
export interface ListedModel extends ChatModelInfo {
  /** Id of the provider that serves it. */
  provider: string;
}

/** Options of {@link ProviderRegistry}. */
export interface RegistryOptions {
  /** How long a successful model listing is kept, ms (default 5 minutes). */
  ttlMs?: number;
  /** How long a failed listing is remembered before asking again, ms (default 15 s). */
  failureTtlMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

interface CacheEntry {
  at: number;
  ok: boolean;
  models: ChatModelInfo[];
  pending?: Promise<ChatModelInfo[]>;
}

/** Thrown by {@link ProviderRegistry.resolve} for an id no provider lists. */
export class UnknownModelError extends CodedError<"unknown_model"> {
  constructor(readonly model: string) {
    super(
      "unknown_model",
      `"${model.slice(0, 120)}" is not one of the models this server offers (see GET /api/models)`,
    );
    this.name = "UnknownModelError";
  }
}

/** The providers of one server, routed by model id. Implements {@link ChatProvider} itself. */
export class ProviderRegistry implements ChatProvider {
  readonly id = "registry";
  readonly providers: readonly ChatProvider[];
  readonly #ttlMs: number;
  readonly #failureTtlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  /** Copies of the static lists of providers that cannot list models, made once. */
  readonly #static = new Map<string, ChatModelInfo[]>();
  /** The last combined list and the provider lists it came from: reused while they are the same. */
  #listed: { lists: ChatModelInfo[][]; out: ListedModel[] } | null = null;

  constructor(providers: readonly ChatProvider[], options: RegistryOptions = {}) {
    if (providers.length === 0) throw new Error("a registry needs at least one provider");
    const ids = new Set<string>();
    for (const p of providers) {
      if (ids.has(p.id)) throw new Error(`two providers share the id "${p.id}"`);
      ids.add(p.id);
    }
    this.providers = providers;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#failureTtlMs = options.failureTtlMs ?? 15_000;
    // Asked on every page: `Date.now()` costs less than `performance.now()` (a call into Deno), and a
    // wall clock is precise enough for lists kept for minutes.
    this.#now = options.now ?? (() => Date.now());
  }

  /** The first provider's label (the picker shows the resolved default instead). */
  get label(): string {
    return this.providers[0].label;
  }

  /** The first provider's configured default; see {@link defaultModelInfo} for the resolved one. */
  get defaultModel(): string {
    return this.providers[0].defaultModel;
  }

  /** Statically known models of every provider (no network). */
  get models(): readonly ChatModelInfo[] {
    return this.providers.flatMap((p) => p.models);
  }

  /**
   * One provider's models: its listing (cached) or its static list. A failed listing yields []. The
   * same array is returned while the listing is cached: treat it as read-only.
   */
  async providerModels(provider: ChatProvider): Promise<ChatModelInfo[]> {
    const now = this.#now();
    const held = this.#held(provider, now);
    if (held || !provider.listModels) return held ?? [];
    const hit = this.#cache.get(provider.id);
    if (hit?.pending) return await hit.pending;
    const pending = provider.listModels().then(
      (models) => {
        this.#cache.set(provider.id, { at: this.#now(), ok: true, models });
        return models;
      },
      () => {
        // A provider that is down offers nothing for a little while (its configured default stays usable).
        const models = [...provider.models];
        this.#cache.set(provider.id, { at: this.#now(), ok: false, models });
        return models;
      },
    );
    this.#cache.set(provider.id, { at: now, ok: false, models: hit?.models ?? [], pending });
    return await pending;
  }

  /** `provider`'s list when it is known without asking: a static list, or a listing still fresh at `now`. */
  #held(provider: ChatProvider, now: number): ChatModelInfo[] | undefined {
    if (!provider.listModels) {
      let copy = this.#static.get(provider.id);
      if (!copy) this.#static.set(provider.id, copy = [...provider.models]);
      return copy;
    }
    const hit = this.#cache.get(provider.id);
    if (!hit || hit.pending) return undefined;
    return now - hit.at < (hit.ok ? this.#ttlMs : this.#failureTtlMs) ? hit.models : undefined;
  }

  /**
   * Every model every provider offers, in provider order, each tagged with its provider. The same
   * array is returned while no provider's list changed (pages key their cache on it): read-only.
   * While every provider's list is held, it answers without asking them (every page view asks).
   */
  listModels(): Promise<ListedModel[]> {
    const last = this.#listed;
    if (last) {
      const now = this.#now();
      if (this.providers.every((p, i) => this.#held(p, now) === last.lists[i])) {
        return Promise.resolve(last.out);
      }
    }
    return this.#combine();
  }

  async #combine(): Promise<ListedModel[]> {
    const lists = await Promise.all(this.providers.map((p) => this.providerModels(p)));
    const last = this.#listed;
    if (last && last.lists.every((list, i) => list === lists[i])) return last.out;
    const seen = new Set<string>();
    const out: ListedModel[] = [];
    lists.forEach((models, i) => {
      for (const m of models) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        out.push({ ...m, provider: this.providers[i].id });
      }
    });
    this.#listed = { lists, out };
    return out;
  }

  /** The default model: the first provider's default when listed, else its first model; null if none. */
  async defaultModelInfo(): Promise<ListedModel | null> {
    return this.defaultIn(await this.listModels());
  }

  /** The default model among `all` (a result of {@link listModels}); pure. */
  defaultIn(all: readonly ListedModel[]): ListedModel | null {
    for (const p of this.providers) {
      const mine = all.filter((m) => m.provider === p.id);
      const hit = mine.find((m) => m.id === p.defaultModel) ?? mine[0];
      if (hit) return hit;
    }
    return null;
  }

  /**
   * The listed model for `model` (the default when null/undefined). Throws {@link UnknownModelError}
   * for an id no provider lists; returns null only when no provider offers any model.
   */
  async resolve(
    model: string | null | undefined,
  ): Promise<{ provider: ChatProvider; model: ListedModel } | null> {
    const listed = model
      ? (await this.listModels()).find((m) => m.id === model)
      : await this.defaultModelInfo();
    if (!listed) {
      if (model) throw new UnknownModelError(model);
      return null;
    }
    return { provider: this.providers.find((p) => p.id === listed.provider)!, model: listed };
  }

  /** Streams through the provider that lists `request.model` (the default model when unset). */
  async *stream(request: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    let target;
    try {
      target = await this.resolve(request.model);
    } catch (e) {
      if (e instanceof UnknownModelError) throw new ChatError("bad_request", e.message);
      throw e;
    }
    if (!target) throw new ChatError("upstream_unavailable", "No model is available right now.");
    yield* target.provider.stream({ ...request, model: target.model.id });
  }

  /** Healthy when every provider is; errors name the provider. */
  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    const started = performance.now();
    const results = await Promise.all(this.providers.map((p) => p.health(signal)));
    const failed = results.map((h, i) => (h.ok ? null : `${this.providers[i].label}: ${h.error}`)).filter(
      Boolean,
    );
    return {
      ok: failed.length === 0,
      latencyMs: Math.round(performance.now() - started),
      ...(failed.length ? { error: failed.join("; ") } : {}),
    };
  }

  /** Closes every provider. */
  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close?.()));
  }
}
