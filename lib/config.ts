/**
 * Application configuration: the environment parsed once with zod into one typed object.
 * Unset optional keys select the embedded defaults (PGlite in DATA_DIR, the local model, the
 * browser's speech synthesis). Invalid values stop the app with one line per problem.
 */
import { CodedError } from "../ml/errors.ts";
import { z } from "zod";
import { isLoopbackUrl, type OidcSettings } from "./accounts/oidc_settings.ts";
import type { BucketPolicy } from "./security/token_bucket.ts";
import { parseRateSpec, RateSpecError } from "./security/rate_spec.ts";
import { type OpenAIProviderConfig, openAIProviders, parseOpenAIProviders } from "./chat/openai_config.ts";

const optionalText = z.string().trim().min(1).optional();
const optionalUrl = (what: string) =>
  z.string().trim().url({ message: `expected an http(s) URL of ${what}` })
    .refine((u) => /^https?:\/\//.test(u), { message: `expected an http(s) URL of ${what}` })
    .optional();

/** A `RATE_LIMIT_*` value: `"<count>/<s|min|h>"` or `"off"`. */
const rateSpec = (fallback: string) =>
  z.string().trim().default(fallback).transform((spec, ctx) => {
    try {
      return parseRateSpec(spec);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: e instanceof RateSpecError ? e.message : String(e) });
      return z.NEVER;
    }
  });

/** A whole number of seconds in [min, max], with one message for every way it can be wrong. */
const seconds = (min: number, max: number) => {
  const message = `expected a whole number of seconds (${min}-${max})`;
  return z.coerce.number({ message }).int({ message }).min(min, { message }).max(max, { message });
};

const schema = z.object({
  PORT: z.coerce.number({ message: "expected a port number" }).int().min(0).max(65535).default(8000),
  LISTEN_HOST: z.string().trim().min(1).optional(),
  /** Old name of LISTEN_HOST (collides with the shell's own HOSTNAME); still read, with a warning. */
  HOSTNAME: z.string().trim().min(1).optional(),
  DATABASE_URL: z.string().trim()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), { message: "expected a postgres:// or postgresql:// URL" })
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number({ message: "expected a positive integer" }).int().min(1).max(100)
    .default(10),
  DATA_DIR: z.string().trim().min(1).default("./.data"),
  GEMINI_API_KEY: optionalText,
  GEMINI_MODEL: z.string().trim().min(1).default("gemini-2.5-flash"),
  GEMINI_BASE_URL: optionalUrl("a Gemini-protocol server"),
  OPENAI_BASE_URL: optionalUrl("an OpenAI-compatible server (e.g. http://localhost:11434/v1)"),
  OPENAI_API_KEY: optionalText,
  OPENAI_MODEL: z.string().trim().min(1).max(200).optional(),
  OPENAI_PROVIDERS: z.string().optional().transform((text, ctx) => {
    if (text === undefined) return [] as OpenAIProviderConfig[];
    const parsed = parseOpenAIProviders(text);
    if (parsed.ok) return parsed.value;
    for (const problem of parsed.problems) {
      ctx.addIssue({ code: "custom", message: problem });
    }
    return z.NEVER;
  }),
  ELEVENLABS_API_KEY: optionalText,
  ELEVENLABS_VOICE_ID: z.string().trim().min(1).default("JBFqnCBsd6RMkjVDRZzb"),
  ELEVENLABS_BASE_URL: optionalUrl("an ElevenLabs-protocol server"),
  SESSION_SECRET: z.string().trim()
    .refine((s) => s.split(",").every((part) => part.trim().length >= 32), {
      message: "expected at least 32 characters (comma-separate several to rotate: newest first)",
    })
    .optional(),
  LOCAL_MODEL_DIR: z.string().trim().min(1).default("./models/local"),
  LOCAL_MODEL_SEED: z.coerce.number({ message: "expected an integer" }).int().min(0).max(2_147_483_646)
    .optional(),
  LOCAL_MODEL_WORKERS: z.coerce.number({ message: "expected a whole number of Workers" }).int().min(1).max(16)
    .optional(),
  RUNS_DIR: z.string().trim().min(1).default("./runs"),
  ADAPTERS_DIR: z.string().trim().min(1).optional(),
  MAX_BODY_BYTES: z.coerce.number({ message: "expected a byte count" }).int().min(1024).default(1_048_576),
  MAX_ATTACHMENT_BYTES: z.coerce.number({ message: "expected a byte count" }).int().min(1024).max(
    50 * 1024 * 1024,
  )
    .default(5 * 1024 * 1024),
  MAX_IMPORT_BYTES: z.coerce.number({ message: "expected a byte count" }).int().min(1024).default(
    1_073_741_824,
  ),
  RATE_LIMIT_MESSAGES: rateSpec("30/min"),
  RATE_LIMIT_MESSAGES_IP: rateSpec("120/min"),
  RATE_LIMIT_TTS: rateSpec("3000/min"),
  RATE_LIMIT_TTS_IP: rateSpec("12000/min"),
  RATE_LIMIT_STT: rateSpec("10/min"),
  RATE_LIMIT_STT_IP: rateSpec("40/min"),
  RATE_LIMIT_CONVERSATIONS: rateSpec("60/min"),
  RATE_LIMIT_CONVERSATIONS_IP: rateSpec("240/min"),
  DAILY_TOKEN_BUDGET: z.coerce.number({ message: "expected a token count per day (0 = unlimited)" }).int()
    .min(0).default(200_000),
  HISTORY_TOKEN_BUDGET: z.coerce.number({ message: "expected a token count (at least 100)" }).int().min(100)
    .default(32_000),
  HEALTH_CACHE_SECONDS: z.coerce.number({ message: "expected seconds (0 = check on every request)" })
    .min(0).max(86_400).default(60),
  HEALTH_TOKEN: z.string().trim().min(32, { message: "expected at least 32 characters" }).optional(),
  PAGE_CACHE_MB: z.coerce.number({ message: "expected megabytes (0 = no page cache)" }).min(0).max(65_536)
    .default(32),
  ANONYMOUS_RETENTION_DAYS: z.coerce.number({ message: "expected whole days (0 = keep forever)" }).int()
    .min(0).max(36_500).default(90),
  BODY_TIMEOUT_SECONDS: z.coerce.number({ message: "expected seconds (0 = no deadline)" }).min(0)
    .max(3600).default(30),
  MAX_STREAMS_PER_SESSION: z.coerce.number({ message: "expected a count (0 = no cap)" }).int().min(0)
    .max(10_000).default(3),
  REPLY_MAX_SECONDS: seconds(1, 86_400).default(600),
  REPLY_STALE_SECONDS: seconds(2, 3600).default(30),
  DATABASE_LISTEN: z.enum(["auto", "on", "off"], { message: "expected one of auto, on, off" })
    .default("auto"),
  TRUST_PROXY_HOPS: z.coerce.number({ message: "expected the number of reverse proxies in front (0-10)" })
    .int().min(0).max(10).default(0),
  AUTH_MODE: z.enum(["open", "accounts"], { message: "expected open or accounts" }).default("open"),
  REGISTRATION: z.enum(["open", "invite", "closed"], { message: "expected open, invite or closed" })
    .default("invite"),
  AUTH_SESSION_DAYS: z.coerce.number({ message: "expected a number of days" }).min(0.01).max(3650)
    .default(30),
  RATE_LIMIT_LOGIN: rateSpec("10/h"),
  RATE_LIMIT_LOGIN_IP: rateSpec("60/h"),
  OIDC_ISSUER: z.string().trim().url({ message: "expected the provider's issuer URL" })
    .refine((u) => u.startsWith("https://") || isLoopbackUrl(u), {
      message: "expected an https:// issuer (http:// only on localhost)",
    })
    .optional(),
  OIDC_CLIENT_ID: optionalText,
  OIDC_CLIENT_SECRET: optionalText,
  OIDC_REDIRECT_URL: optionalUrl("this server's /api/auth/oidc/callback, as registered at the provider"),
  OIDC_LABEL: z.string().trim().min(1).max(60).default("single sign-on"),
  ML_BACKEND: z.string().trim().toLowerCase().pipe(
    z.enum(["wasm", "cpu", "webgpu"], { message: "expected one of wasm, cpu, webgpu" }),
  ).default("wasm"),
  ML_NATIVE: z.string().trim().toLowerCase().pipe(
    z.enum(["on", "off", "1", "0", "true", "false", "yes", "no"], {
      message: "expected on or off (also 1/0, true/false, yes/no)",
    }),
  ).default("on"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"], {
    message: "expected one of debug, info, warn, error, silent",
  }).default("info"),
});

/** Every environment variable the configuration reads (for the docs check in tests/docs/readme_test.ts). */
export const CONFIG_ENV_VARS: readonly string[] = Object.keys(schema.shape);

/** The validated configuration. Secrets stay on the server: nothing here is sent to a browser. */
export interface Config {
  port: number;
  hostname: string;
  /** Unset: embedded PGlite in `${dataDir}/pglite`. */
  databaseUrl?: string;
  databasePoolMax: number;
  dataDir: string;
  gemini: { apiKey?: string; model: string; baseUrl?: string };
  /** OpenAI-compatible servers: `OPENAI_BASE_URL` (id "openai") first, then `OPENAI_PROVIDERS`. */
  openai: OpenAIProviderConfig[];
  elevenLabs: { apiKey?: string; voiceId: string; baseUrl?: string };
  /** Session signing secrets, newest first; unset means generated and kept in DATA_DIR. */
  sessionSecrets?: string[];
  localModelDir: string;
  /** Sampling seed of the local model's first reply (each later reply uses the next one); unset = the clock. */
  localModelSeed?: number;
  /** Workers of the local model, i.e. replies it generates at once (`LOCAL_MODEL_WORKERS`); unset: from the cores. */
  localModelWorkers?: number;
  /** Training runs listed at `/training`; their LoRA adapters are local models in the chat. */
  runsDir: string;
  /** Extra PEFT adapter folders served as local models (`ADAPTERS_DIR`); unset: none. */
  adaptersDir?: string;
  maxBodyBytes: number;
  /** Largest attached file (images, PDFs), bytes. */
  maxAttachmentBytes: number;
  /** Largest file `POST /api/import` accepts (ChatGPT exports reach hundreds of MB). */
  maxImportBytes: number;
  /**
   * Token-bucket policies by key prefix (`msg`, `msg_ip`, `tts`, `tts_ip`, `stt`, `stt_ip`, `login`,
   * `login_ip`);
   * Token-bucket policies by key prefix (`msg`, `msg_ip`, `tts`, `tts_ip`, `stt`, `stt_ip`, `conv`, `conv_ip`);
   * null = not limited.
   */
  rateLimits: Record<string, BucketPolicy | null>;
  /** Most replies one session may stream at once (0 = no cap). */
  maxStreamsPerSession: number;
  /** Longest a reply may generate before it is stopped, seconds (`REPLY_MAX_SECONDS`). */
  replyMaxSeconds: number;
  /**
   * A `streaming` reply whose heartbeat is older than this many seconds is marked `error`
   * (`REPLY_STALE_SECONDS`); the heartbeat runs every sixth of it, the sweep every third.
   */
  replyStaleSeconds: number;
  /**
   * LISTEN/NOTIFY between instances (`DATABASE_LISTEN`): `auto` uses it on a direct PostgreSQL
   * connection and not on a transaction pooler (Neon `-pooler`), where followers poll instead.
   */
  databaseListen: "auto" | "on" | "off";
  /** Reply tokens per owner per UTC day (0 = unlimited); `owners.daily_token_limit` overrides it. */
  dailyTokenBudget: number;
  /** Tokens of history (system prompt included) sent to the model per request; oldest turns go first. */
  historyTokenBudget: number;
  /** How long the model and voice checks of `/api/health` are cached, seconds (0 = not cached). */
  healthCacheSeconds: number;
  /** Bearer token for the detailed `/api/health?detail=1`; unset = no detailed view. */
  healthToken?: string;
  /** Most bytes of rendered chat pages kept per process (0 = pages are always rendered). */
  pageCacheBytes: number;
  /** Days after which an inactive anonymous owner and its data are deleted (0 = never). */
  anonymousRetentionDays: number;
  /** Deadline for reading a request body, seconds (0 = none); past it the request gets 408. */
  bodyTimeoutSeconds: number;
  /** Reverse proxies in front whose `X-Forwarded-For` entry is trusted for the client IP. */
  trustProxyHops: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Configuration problems that do not stop the app (e.g. a deprecated variable), one line each. */
  warnings?: string[];
  /** Accounts (docs/accounts.md): `open` = one anonymous owner per browser; `accounts` = sign-in required. */
  auth: {
    mode: "open" | "accounts";
    /** Default registration mode (an admin's choice on `/admin` overrides it). */
    registration: "open" | "invite" | "closed";
    /** A sign-in session expires this long after its last use. */
    sessionTtlSeconds: number;
    /** OpenID Connect sign-in; unset without `OIDC_ISSUER`. */
    oidc?: OidcSettings;
  };
  /**
   * The local model's tensor backend (`ML_BACKEND`) and whether the native OpenBLAS kernels may be used
   * (`ML_NATIVE`); `ml/` reads both from the environment, this only validates them at start.
   */
  ml: { backend: "wasm" | "cpu" | "webgpu"; native: boolean };
}

/** Thrown when the environment is invalid; `problems` holds one line per problem. */
export class ConfigError extends CodedError<"invalid_config"> {
  constructor(readonly problems: string[]) {
    super("invalid_config", `invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses an environment (e.g. `Deno.env.toObject()`); empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const parsed = schema.superRefine((e, ctx) => {
    if (e.OIDC_ISSUER && !e.OIDC_CLIENT_ID) {
      ctx.addIssue({ code: "custom", path: ["OIDC_CLIENT_ID"], message: "required when OIDC_ISSUER is set" });
    }
  }).safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const value = name in cleaned && !/KEY|SECRET|URL|PROVIDERS|^HEALTH_TOKEN$/.test(name)
        ? ` (got "${cleaned[name]}")`
        : "";
      return `${name}: ${issue.message}${value}`;
    }));
  }
  const e = parsed.data;
  if ((e.OPENAI_BASE_URL || e.OPENAI_API_KEY) && e.OPENAI_PROVIDERS.some((p) => p.id === "openai")) {
    throw new ConfigError([
      'OPENAI_PROVIDERS: the id "openai" is taken by OPENAI_BASE_URL (pick another id, or configure it in one place)',
    ]);
  }
  return {
    port: e.PORT,
    hostname: e.LISTEN_HOST ?? e.HOSTNAME ?? "0.0.0.0",
    warnings: e.LISTEN_HOST === undefined && e.HOSTNAME !== undefined
      ? [`HOSTNAME is deprecated as the listen address (it is also the shell's host name): set LISTEN_HOST`]
      : [],
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.DATA_DIR,
    gemini: { apiKey: e.GEMINI_API_KEY, model: e.GEMINI_MODEL, baseUrl: e.GEMINI_BASE_URL },
    openai: openAIProviders(
      { baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY, model: e.OPENAI_MODEL },
      e.OPENAI_PROVIDERS,
    ),
    elevenLabs: {
      apiKey: e.ELEVENLABS_API_KEY,
      voiceId: e.ELEVENLABS_VOICE_ID,
      baseUrl: e.ELEVENLABS_BASE_URL,
    },
    sessionSecrets: e.SESSION_SECRET?.split(",").map((s) => s.trim()),
    localModelDir: e.LOCAL_MODEL_DIR,
    localModelSeed: e.LOCAL_MODEL_SEED,
    localModelWorkers: e.LOCAL_MODEL_WORKERS,
    runsDir: e.RUNS_DIR,
    adaptersDir: e.ADAPTERS_DIR,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxAttachmentBytes: e.MAX_ATTACHMENT_BYTES,
    maxImportBytes: e.MAX_IMPORT_BYTES,
    rateLimits: {
      msg: e.RATE_LIMIT_MESSAGES,
      msg_ip: e.RATE_LIMIT_MESSAGES_IP,
      tts: e.RATE_LIMIT_TTS,
      tts_ip: e.RATE_LIMIT_TTS_IP,
      stt: e.RATE_LIMIT_STT,
      stt_ip: e.RATE_LIMIT_STT_IP,
      login: e.RATE_LIMIT_LOGIN,
      login_ip: e.RATE_LIMIT_LOGIN_IP,
      conv: e.RATE_LIMIT_CONVERSATIONS,
      conv_ip: e.RATE_LIMIT_CONVERSATIONS_IP,
    },
    maxStreamsPerSession: e.MAX_STREAMS_PER_SESSION,
    replyMaxSeconds: e.REPLY_MAX_SECONDS,
    replyStaleSeconds: e.REPLY_STALE_SECONDS,
    databaseListen: e.DATABASE_LISTEN,
    dailyTokenBudget: e.DAILY_TOKEN_BUDGET,
    historyTokenBudget: e.HISTORY_TOKEN_BUDGET,
    healthCacheSeconds: e.HEALTH_CACHE_SECONDS,
    healthToken: e.HEALTH_TOKEN,
    pageCacheBytes: Math.round(e.PAGE_CACHE_MB * 1024 * 1024),
    anonymousRetentionDays: e.ANONYMOUS_RETENTION_DAYS,
    bodyTimeoutSeconds: e.BODY_TIMEOUT_SECONDS,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    logLevel: e.LOG_LEVEL,
    auth: {
      mode: e.AUTH_MODE,
      registration: e.REGISTRATION,
      sessionTtlSeconds: Math.round(e.AUTH_SESSION_DAYS * 86_400),
      oidc: e.OIDC_ISSUER && e.OIDC_CLIENT_ID
        ? {
          issuer: e.OIDC_ISSUER,
          clientId: e.OIDC_CLIENT_ID,
          clientSecret: e.OIDC_CLIENT_SECRET,
          redirectUrl: e.OIDC_REDIRECT_URL,
          label: e.OIDC_LABEL,
        }
        : undefined,
    },
    ml: { backend: e.ML_BACKEND, native: !["off", "0", "false", "no"].includes(e.ML_NATIVE) },
  };
}
