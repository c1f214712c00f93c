/**
 * The services a request can reach through `ctx.state`: configuration, session signing, the
 * conversation store, the chat model and the voice service. Built once at start.
 */
import { createGeminiProvider } from "./chat/gemini.ts";
import { lazyProvider } from "./chat/lazy.ts";
import { createLocalProvider, LOCAL_MODEL_ID, LOCAL_MODEL_LABEL, localModels } from "./chat/local.ts";
import { findLocalAdapters } from "./chat/local_adapters.ts";
import { type ChatProvider, NO_MODEL_MESSAGE } from "./chat/provider.ts";
import { ProviderRegistry } from "./chat/registry.ts";
import type { Config } from "./config.ts";
import { ReplyService } from "./chat/reply_service.ts";
import { AccountService } from "./accounts/service.ts";
import type { User } from "./accounts/users.ts";
import { type Database, deriveConnectionOptions, openDatabase } from "./db/mod.ts";
import { listenForReplies } from "./db/reply_notifications.ts";
import { createReplyStore } from "./db/replies.ts";
import { markStaleReplies } from "./db/stale_replies.ts";
import { cachedCheck, type HealthCheck } from "./health.ts";
import { expireAnonymousOwners } from "./db/owner_expiry.ts";
import { pruneTokenUsage } from "./db/token_usage.ts";
import { OwnerActivity } from "./security/owner_activity.ts";
import { TokenBudget, utcDay } from "./security/token_budget.ts";
import { type MultiKeyRateLimiter, PostgresRateLimiter } from "./security/rate_limit.ts";
import { loadSessionSecrets, SessionSigner } from "./security/session.ts";
import { StreamGate } from "./security/stream_gate.ts";
import { voiceHealth, type VoiceService } from "./voice/service.ts";
import { log, setLogLevel } from "./log.ts";
import { PageCache } from "./web/page_cache.ts";
import { BrotliCompressor } from "./web/brotli.ts";

/** Everything the routes use, created once per server. */
export interface Services {
  config: Config;
  signer: SessionSigner;
  db: Database;
  /**
   * Every configured chat provider behind one registry (it routes model ids and is the allowlist);
   * null when none is configured or available.
   */
  chat: ProviderRegistry | null;
  /** ElevenLabs voice; null without `ELEVENLABS_API_KEY` (the browser's speech is used then). */
  voice: VoiceService | null;
  /** Health checks by name (`database`, `model`, `voice`). */
  health: Record<string, HealthCheck>;
  /** Replies being generated here; follow and stop replies of any instance. */
  replies: ReplyService;
  /**
   * Abuse and cost limits: rate limits kept in the database, the per-session stream cap, and the
   * daily token budgets per owner.
   */
  limits: { limiter: MultiKeyRateLimiter; streams: StreamGate; budget: TokenBudget };
  /** Records owner activity (throttled), so active anonymous owners do not expire. */
  activity: OwnerActivity;
  /** Rendered chat pages by owner data version (`components/chat/cached_page.ts`). */
  pages: PageCache;
  /** Accounts (`AUTH_MODE=accounts`): sign-in, sessions, users. */
  accounts: AccountService;
  /** Aborted when the server begins shutting down; long-running streams listen to it. */
  shutdown: AbortSignal;
  /** Releases what the services hold (connections, workers). */
  close(): Promise<void>;
}

/** Request state seen by route handlers and pages. */
export interface AppState {
  services: Services;
  /**
   * The owner id every query is scoped by (set by `routes/_middleware.ts`): the signed-cookie
   * browser session id, or in `AUTH_MODE=accounts` the signed-in user's owner id.
   */
  sessionId: string;
  /** The browser's own signed-cookie session id (its anonymous owner; claimable on sign-in). */
  anonymousOwnerId?: string;
  /** The signed-in account (accounts mode only). */
  user?: User;
  /** The id of the sign-in session the request came with (accounts mode only). */
  authSessionId?: string;
  /** Client address for per-IP limits (IPv6 as its /64), null when unknown (`lib/request_state.ts`). */
  clientIp: string | null;
  /** The theme chosen with the toggle (cookie `mc_theme`); undefined follows the system. */
  theme?: "light" | "dark";
}

export { NO_MODEL_MESSAGE } from "./chat/provider.ts";

/**
 * The chat providers for `config`, in default order: Gemini when a key is set, each OpenAI-compatible
 * server (`OPENAI_BASE_URL`, then `OPENAI_PROVIDERS`), and the tiny local model when its checkpoint
 * exists in `localModelDir` (it loads in a Worker: at once when it is the only provider, else on first
 * use). The first provider with a model gives the default.
 * The `openai` SDK (~150 ms to import) is loaded only when an OpenAI-compatible server is configured.
 */
export async function createChatProviders(config: Config): Promise<ChatProvider[]> {
  const providers: ChatProvider[] = [];
  if (config.gemini.apiKey) {
    providers.push(createGeminiProvider({
      apiKey: config.gemini.apiKey,
      model: config.gemini.model,
      baseUrl: config.gemini.baseUrl,
      contextTokenBudget: config.historyTokenBudget,
    }));
  }
  if (config.openai.length > 0) {
    const { OpenAICompatibleProvider } = await import("./chat/openai.ts");
    for (const p of config.openai) {
      providers.push(new OpenAICompatibleProvider({ ...p, contextTokenBudget: config.historyTokenBudget }));
    }
  }
  let hasCheckpoint = false;
  try {
    hasCheckpoint = Deno.statSync(`${config.localModelDir}/config.json`).isFile;
  } catch {
    // no local checkpoint
  }
  if (hasCheckpoint) {
    const sources = {
      modelDir: config.localModelDir,
      runsDir: config.runsDir,
      adaptersDir: config.adaptersDir,
    };
    const discovered = await findLocalAdapters(sources);
    for (const r of discovered.refused) {
      log.warn("local model: adapter not offered", { dir: r.dir, reason: r.reason });
    }
    const start = () =>
      createLocalProvider({
        ...sources,
        seed: config.localModelSeed,
        workers: config.localModelWorkers,
        discovered,
        onReply: (s) =>
          log.info("local model reply", {
            model: s.model,
            promptTokens: s.promptTokens,
            completionTokens: s.completionTokens,
            generateMs: Math.round(s.generateMs),
            tokensPerSecond: Math.round(s.tokensPerSecond * 10) / 10,
          }),
      });
    // Alone it is the default and loads at once; next to another provider it loads when first picked.
    providers.push(
      providers.length === 0 ? start() : lazyProvider({
        id: "local",
        label: LOCAL_MODEL_LABEL,
        defaultModel: LOCAL_MODEL_ID,
        models: localModels(discovered.adapters),
        listModels: async () => localModels((await findLocalAdapters(sources)).adapters),
      }, start),
    );
  }
  return providers;
}

/** The registry of {@link createChatProviders}, or null when there is no provider. */
export async function createChatProvider(config: Config): Promise<ProviderRegistry | null> {
  const providers = await createChatProviders(config);
  return providers.length ? new ProviderRegistry(providers) : null;
}

/**
 * The ElevenLabs service when `ELEVENLABS_API_KEY` is set, else null (the browser speaks). The SDK is
 * imported only then: loading it costs ~1.4 s of start-up.
 */
export async function createVoiceService(config: Config): Promise<VoiceService | null> {
  if (!config.elevenLabs.apiKey) return null;
  const { voiceServiceFromEnv } = await import("./voice/elevenlabs.ts");
  return voiceServiceFromEnv({
    ELEVENLABS_API_KEY: config.elevenLabs.apiKey,
    ELEVENLABS_BASE_URL: config.elevenLabs.baseUrl,
    ELEVENLABS_VOICE_ID: config.elevenLabs.voiceId,
  });
}

/** Builds the services for `config`. */
export async function createServices(config: Config, shutdown: AbortSignal): Promise<Services> {
  setLogLevel(config.logLevel);
  const signer = await SessionSigner.create(await loadSessionSecrets(config.sessionSecrets, config.dataDir));
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.databasePoolMax,
  });
  const chat = await createChatProvider(config);
  const voice = await createVoiceService(config);
  const health: Record<string, HealthCheck> = {
    database: async () => {
      const h = await db.ping();
      return { ok: h.ok, provider: h.engine, latencyMs: h.latencyMs, error: h.error };
    },
    // The model and voice checks may call paid APIs: cached, so requests cannot multiply them.
    model: cachedCheck(async () => {
      if (!chat) return { ok: false, error: NO_MODEL_MESSAGE };
      const h = await chat.health();
      const provider = chat.providers.map((p) => p.id).join(",");
      return { ok: h.ok, provider, latencyMs: h.latencyMs, error: h.error };
    }, config.healthCacheSeconds * 1000),
    voice: cachedCheck(() => voiceHealth(voice), config.healthCacheSeconds * 1000),
  };
  let warned = false;
  const limits = {
    limiter: new PostgresRateLimiter(db.sql, {
      policies: config.rateLimits,
      ready: () => db.migrate(),
      onFallback: (error) => {
        if (warned) return;
        warned = true;
        log.warn("rate limits: database unreachable, using in-process buckets", {
          error: String((error as Error)?.message ?? error),
        });
      },
    }),
    streams: new StreamGate(config.maxStreamsPerSession),
    budget: new TokenBudget(db.sql, { dailyTokens: config.dailyTokenBudget, ready: () => db.migrate() }),
  };
  const replies = new ReplyService({
    store: db,
    replies: createReplyStore(db.sql, () => db.migrate()),
    shutdown,
    maxSeconds: config.replyMaxSeconds,
    heartbeatMs: Math.max(250, Math.round((config.replyStaleSeconds * 1000) / 6)),
    pollMs: FOLLOW_POLL_MS,
  });
  const unlisten = useListen(config, db)
    ? await listenForReplies(db.sql, {
      onProgress: (id) => replies.wake(id),
      onStop: (id) => replies.stopLocal(id),
    })
    : null;
  const accounts = new AccountService({
    sql: db.sql,
    ready: () => db.migrate(),
    limiter: limits.limiter,
    registration: config.auth.registration,
    sessionTtlSeconds: config.auth.sessionTtlSeconds,
    oidc: config.auth.oidc,
  });
  const activity = new OwnerActivity(db.sql);
  // Brotli only when pages are kept (a compressor without pages to compress would never start).
  const pages = new PageCache(
    config.pageCacheBytes,
    config.pageCacheBytes > 0 ? new BrotliCompressor() : null,
  );
  // Abandoned anonymous owners (and usage rows older than a week) go at start and every hour.
  const sweepOwners = async () => {
    try {
      await db.migrate();
      await pruneTokenUsage(db.sql, utcDay(Date.now() - 7 * 86_400_000));
      if (config.anonymousRetentionDays <= 0) return;
      const expired = await expireAnonymousOwners(db.sql, config.anonymousRetentionDays);
      if (expired.length > 0) log.info("expired anonymous owners", { count: expired.length });
    } catch { /* database away: the next sweep tries again */ }
  };
  sweepOwners();
  const ownerTimer = setInterval(sweepOwners, 60 * 60_000);
  Deno.unrefTimer(ownerTimer);
  // Replies a dead process left `streaming` are marked `error` (every instance may do it: idempotent).
  const sweepStale = () =>
    db.migrate().then(() => markStaleReplies(db.sql, config.replyStaleSeconds)).catch(() => 0);
  sweepStale();
  const staleTimer = setInterval(sweepStale, Math.round((config.replyStaleSeconds * 1000) / 3));
  Deno.unrefTimer(staleTimer);
  return {
    config,
    signer,
    db,
    chat,
    voice,
    health,
    limits,
    replies,
    accounts,
    activity,
    pages,
    shutdown,
    close: async () => {
      clearInterval(staleTimer);
      clearInterval(ownerTimer);
      await replies.drain();
      await unlisten?.();
      await chat?.close?.();
      pages.close();
      await db.close();
    },
  };
}

/** Longest wait between two reads of a reply followed from the database (other instance), ms. */
const FOLLOW_POLL_MS = 500;

/** LISTEN/NOTIFY on a direct PostgreSQL connection; never on PGlite or (with `auto`) a pooler. */
function useListen(config: Config, db: Database): boolean {
  if (db.engine !== "postgres" || !config.databaseUrl || config.databaseListen === "off") return false;
  return config.databaseListen === "on" || !deriveConnectionOptions(config.databaseUrl).pooled;
}
