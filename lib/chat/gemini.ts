/**
 * The hosted-model provider: Google Gemini through `@google/genai`, streaming over SSE.
 *
 * Failure policy (one place, here): 429 waits as long as Retry-After / RetryInfo says within a
 * bounded budget; 5xx, dropped connections and empty streams are retried only before the first
 * token; after text was yielded any failure ends the stream with a `ChatError` and the caller
 * keeps the text. The SDK's own retries stay off (`httpOptions.retryOptions` unset) and its
 * automatic stream continuation is disabled, so this loop is the only one.
 */
import { ApiError, type Content, type GenerateContentResponse, GoogleGenAI } from "@google/genai";
import { Buffer } from "node:buffer";
import { ChatError, type ChatErrorCode, redactSecrets } from "./errors.ts";
import { type TokenCounter, turnsToSend } from "./history.ts";
import type { ChatChunk, ChatModelInfo, ChatProvider, ChatRequest, ProviderHealth } from "./provider.ts";
import { DEFAULT_RETRY_POLICY, parseRetryAfter, parseRetryDelay, type RetryPolicy } from "./retry.ts";
import { type AttemptState, retryingStream } from "./retrying_stream.ts";

/** Model used when neither the options nor the request name one. */
export const DEFAULT_GEMINI_MODEL = "gemini-2.5-flash";

/** Models offered in the picker by default (the configured default is added first if missing). */
export const GEMINI_MODELS: readonly ChatModelInfo[] = [
  { id: "gemini-2.5-flash", label: "Gemini 2.5 Flash", accepts: ["image", "pdf"] },
  { id: "gemini-2.5-pro", label: "Gemini 2.5 Pro", accepts: ["image", "pdf"] },
  { id: "gemini-2.5-flash-lite", label: "Gemini 2.5 Flash-Lite", accepts: ["image", "pdf"] },
];

/** Options of {@link GeminiProvider}. */
export interface GeminiProviderOptions {
  /** Gemini API key (sent as `x-goog-api-key`; never logged or shown). */
  apiKey: string;
  /** Default model id (default {@link DEFAULT_GEMINI_MODEL}). */
  model?: string;
  /** API root, e.g. a proxy or the test stub (default: Google's endpoint). */
  baseUrl?: string;
  /** API version path segment (default "v1beta", the version Google's REST docs use). */
  apiVersion?: string;
  /** Longest wait for the first chunk and between chunks, in ms (default 60 000). */
  timeoutMs?: number;
  /** Retries of a failed request before its first token (default 2). */
  maxRetries?: number;
  /** Finer retry bounds; `maxRetries` above wins over `retry.maxRetries`. */
  retry?: Partial<RetryPolicy>;
  /** Tokens the system prompt plus history may use (default 100 000, estimated). */
  contextTokenBudget?: number;
  /** Token counter for trimming (default: ~4 characters per token). */
  countTokens?: TokenCounter;
  /** Models offered in the picker (default {@link GEMINI_MODELS}). */
  models?: readonly ChatModelInfo[];
  /** Sampling temperature, when set. */
  temperature?: number;
  /** Cap on reply tokens, when set. */
  maxOutputTokens?: number;
  /** Random source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SAFETY_FINISH = new Set([
  "SAFETY",
  "PROHIBITED_CONTENT",
  "BLOCKLIST",
  "SPII",
  "IMAGE_SAFETY",
  "RECITATION",
]);

/** Turns "gemini-2.5-flash-lite" into "Gemini 2.5 Flash Lite". */
export function modelLabel(id: string, known: readonly ChatModelInfo[] = GEMINI_MODELS): string {
  const hit = known.find((m) => m.id === id);
  if (hit) return hit.label;
  return id.split("-").map((w) => (w === "" ? w : w[0].toUpperCase() + w.slice(1))).join(" ");
}

/** What the last HTTP response of an attempt looked like (the SDK drops headers from its errors). */
export interface SeenResponse {
  status?: number;
  retryAfter?: string | null;
}

/** What the provider knows about one attempt that the thrown error does not say. */
export interface AttemptContext extends AttemptState {
  /** The last HTTP response of the attempt. */
  seen: SeenResponse;
  /** Model id, for messages. */
  model: string;
}

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { "@type"?: string; reason?: string; retryDelay?: unknown }[];
  };
}

/** Parses the JSON body the SDK puts into `ApiError.message`. */
function parseErrorBody(message: string): GoogleErrorBody["error"] | undefined {
  const start = message.indexOf("{");
  if (start === -1) return undefined;
  try {
    const body = JSON.parse(message.slice(start)) as GoogleErrorBody;
    return body.error ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A ChatError whose `detail` is the redacted original, so logs stay useful. The raw error is not
 * kept as `cause`: it can hold upstream text, and a proxy might echo the key.
 */
function fail(
  code: ChatErrorCode,
  apiKey: string,
  cause: unknown,
  init: { status?: number; retryAfterMs?: number; message?: string } = {},
) {
  const raw = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new ChatError(code, init.message, {
    status: init.status,
    retryAfterMs: init.retryAfterMs,
    detail: redactSecrets(raw, [apiKey]).slice(0, 2000),
  });
}

/**
 * Maps anything thrown while calling Gemini to a ChatError. Exported for tests; `ctx` says what
 * the provider knows that the error itself does not (who aborted, whether text went out).
 */
export function classifyGeminiError(error: unknown, ctx: AttemptContext, apiKey: string): ChatError {
  if (ctx.callerAborted) {
    return error instanceof ChatError && error.code === "aborted" ? error : fail("aborted", apiKey, error);
  }
  if (ctx.timedOut) return fail("timeout", apiKey, error);
  if (error instanceof ChatError) return error;
  if (error instanceof ApiError) {
    const status = error.status;
    const body = parseErrorBody(error.message);
    const upstreamMessage = redactSecrets(body?.message ?? "", [apiKey]).slice(0, 300);
    if (ctx.yieldedText) return fail("stream_broken", apiKey, error, { status });
    if (status === 429) {
      const header = ctx.seen.status === 429 ? parseRetryAfter(ctx.seen.retryAfter) : undefined;
      const info = body?.details?.find((d) => d["@type"]?.endsWith("RetryInfo"))?.retryDelay;
      return fail("rate_limited", apiKey, error, { status, retryAfterMs: header ?? parseRetryDelay(info) });
    }
    const keyInvalid = body?.details?.some((d) => d.reason === "API_KEY_INVALID") ||
      /api key not valid/i.test(upstreamMessage);
    if (status === 401 || status === 403 || keyInvalid) return fail("bad_key", apiKey, error, { status });
    if (status === 404) {
      return fail("bad_request", apiKey, error, {
        status,
        message: `The model "${ctx.model}" is not available with this API key.`,
      });
    }
    if (status === 408 || status >= 500) return fail("upstream_unavailable", apiKey, error, { status });
    if (/input token count .* exceeds|exceeds the maximum number of tokens/i.test(upstreamMessage)) {
      return fail("context_too_long", apiKey, error, { status });
    }
    return fail("bad_request", apiKey, error, {
      status,
      message: upstreamMessage ? `The model rejected the request: ${upstreamMessage}` : undefined,
    });
  }
  // Transport failures: refused/reset connections, a body cut mid-frame, an unparsable frame.
  return fail(ctx.yieldedText ? "stream_broken" : "upstream_unavailable", apiKey, error);
}

function safetyMessage(reason: string): string {
  return reason === "RECITATION"
    ? "The model stopped because its reply too closely repeated existing material."
    : `The model declined to answer: the content was blocked by its safety filters (${reason}).`;
}

/** Text of the first candidate, without hidden "thought" parts. */
function chunkText(chunk: GenerateContentResponse): string {
  let text = "";
  for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
    if (typeof part.text === "string" && part.thought !== true) text += part.text;
  }
  return text;
}

/** Chat with Gemini models. */
export class GeminiProvider implements ChatProvider {
  /** Always "gemini". */
  readonly id = "gemini";
  readonly label: string;
  readonly defaultModel: string;
  readonly models: readonly ChatModelInfo[];
  readonly #ai: GoogleGenAI;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #budget: number;
  readonly #countTokens?: TokenCounter;
  readonly #random: () => number;
  readonly #generation: { temperature?: number; maxOutputTokens?: number };

  constructor(options: GeminiProviderOptions) {
    if (!options.apiKey) {
      throw new ChatError("bad_key", "No Gemini API key is configured (set GEMINI_API_KEY).");
    }
    this.#apiKey = options.apiKey;
    this.defaultModel = normalizeModel(options.model ?? DEFAULT_GEMINI_MODEL);
    const offered = options.models ?? GEMINI_MODELS;
    this.models = offered.some((m) => m.id === this.defaultModel)
      ? [
        offered.find((m) => m.id === this.defaultModel)!,
        ...offered.filter((m) => m.id !== this.defaultModel),
      ]
      : [
        { id: this.defaultModel, label: modelLabel(this.defaultModel, offered), accepts: ["image", "pdf"] },
        ...offered,
      ];
    this.label = this.models[0].label;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (options.maxRetries !== undefined) this.#retry.maxRetries = options.maxRetries;
    this.#budget = options.contextTokenBudget ?? 100_000;
    this.#countTokens = options.countTokens;
    this.#random = options.random ?? Math.random;
    this.#generation = { temperature: options.temperature, maxOutputTokens: options.maxOutputTokens };
    this.#ai = new GoogleGenAI({
      // Explicit, so GOOGLE_GENAI_USE_VERTEXAI or GOOGLE_API_KEY in the environment cannot redirect it.
      vertexai: false,
      apiKey: options.apiKey,
      apiVersion: options.apiVersion ?? "v1beta",
      httpOptions: options.baseUrl ? { baseUrl: options.baseUrl } : undefined,
    });
  }

  /** Streams a reply; see {@link ChatProvider.stream}. */
  async *stream(request: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    const model = request.model ? normalizeModel(request.model) : this.defaultModel;
    const turns = turnsToSend(request, { budgetTokens: this.#budget, countTokens: this.#countTokens });
    const contents: Content[] = turns.map((t) => ({
      role: t.role === "assistant" ? "model" : "user",
      parts: [
        ...(t.content !== "" || !t.attachments?.length ? [{ text: t.content }] : []),
        // Images and PDFs go inline (base64), as Gemini's generateContent takes them.
        ...(t.attachments ?? []).map((a) => ({
          inlineData: {
            mimeType: a.mimeType,
            data: Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString("base64"),
          },
        })),
      ],
    }));
    const systemInstruction = request.systemPrompt?.trim() ? request.systemPrompt : undefined;

    const generation = this.#generation;
    const ai = this.#ai;
    yield* retryingStream<AttemptContext>({
      signal: request.signal,
      policy: this.#retry,
      random: this.#random,
      timeoutMs: this.#timeoutMs,
      timeoutMessage: "Gemini did not respond in time",
      newState: () => ({ callerAborted: false, timedOut: false, yieldedText: false, seen: {}, model }),
      classify: (e, ctx) => classifyGeminiError(e, ctx, this.#apiKey),
      abortedWhileWaiting: (reason) => fail("aborted", this.#apiKey, reason),
      async *run(ctx, attempt) {
        const recordingFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
          const res = await fetch(input, init);
          ctx.seen.status = res.status;
          ctx.seen.retryAfter = res.headers.get("retry-after");
          return res;
        };
        const upstream = await ai.models.generateContentStream({
          model,
          contents,
          config: {
            systemInstruction,
            abortSignal: attempt.signal,
            automaticContinuation: false,
            httpOptions: { fetch: recordingFetch },
            ...(generation.temperature !== undefined ? { temperature: generation.temperature } : {}),
            ...(generation.maxOutputTokens !== undefined
              ? { maxOutputTokens: generation.maxOutputTokens }
              : {}),
          },
        });
        let finishReason: string | undefined;
        let usage: GenerateContentResponse["usageMetadata"];
        for await (const chunk of attempt.idle(upstream)) {
          const blocked = chunk.promptFeedback?.blockReason;
          if (blocked) throw new ChatError("safety_blocked", safetyMessage(String(blocked)));
          const text = chunkText(chunk);
          if (chunk.usageMetadata) usage = chunk.usageMetadata;
          const reason = chunk.candidates?.[0]?.finishReason;
          if (reason) finishReason = String(reason);
          if (text !== "") yield { type: "text", text };
          if (reason && SAFETY_FINISH.has(String(reason))) {
            throw new ChatError("safety_blocked", safetyMessage(String(reason)));
          }
        }
        if (finishReason === undefined) {
          throw new Error("the stream ended without a finish reason");
        }
        if (usage) {
          const promptTokens = usage.promptTokenCount ?? 0;
          const completionTokens = (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
          yield {
            type: "usage",
            promptTokens,
            completionTokens,
            totalTokens: usage.totalTokenCount ?? promptTokens + completionTokens,
          };
        }
      },
    });
  }

  /** Lists one model page to prove the key and endpoint work; see {@link ChatProvider.health}. */
  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    const started = performance.now();
    const ctx: AttemptContext = {
      callerAborted: false,
      timedOut: false,
      yieldedText: false,
      seen: {},
      model: this.defaultModel,
    };
    const timeout = AbortSignal.timeout(Math.min(this.#timeoutMs, 10_000));
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      await this.#ai.models.list({ config: { pageSize: 1, abortSignal: combined } });
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (e) {
      ctx.callerAborted = signal?.aborted ?? false;
      ctx.timedOut = timeout.aborted && !ctx.callerAborted;
      const error = classifyGeminiError(e, ctx, this.#apiKey);
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: error.message };
    }
  }
}

/** Validates a model id (it becomes part of the request path); strips a "models/" prefix. */
function normalizeModel(model: string): string {
  const id = model.startsWith("models/") ? model.slice("models/".length) : model;
  if (!MODEL_ID.test(id)) {
    throw new ChatError("bad_request", `"${model.slice(0, 80)}" is not a valid model name.`);
  }
  return id;
}

/** Creates a Gemini provider; see {@link GeminiProviderOptions}. */
export function createGeminiProvider(options: GeminiProviderOptions): GeminiProvider {
  return new GeminiProvider(options);
}
