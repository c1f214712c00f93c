/**
 * An OpenAI-compatible provider (Ollama, llama.cpp's server, vLLM, LM Studio, OpenRouter, OpenAI)
 * through the official `openai` SDK with a `baseURL`: streaming chat completions with usage
 * (`stream_options.include_usage`), models from `GET /models`, errors mapped to `ChatError` like
 * Gemini's, abort on Stop.
 *
 * Model ids are public as `<providerId>:<remote id>` (e.g. `ollama:llama3.2:3b`) so several
 * providers can serve the same remote name; {@link OpenAICompatibleProvider.stream} strips its own
 * prefix. Failure policy as in `gemini.ts`: the SDK's own retries are off (`maxRetries: 0`); this
 * loop retries 429 (honoring Retry-After) and 5xx/connection failures only before the first token.
 */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from "openai";
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { Buffer } from "node:buffer";
import { ChatError, type ChatErrorCode, redactSecrets } from "./errors.ts";
import { type TokenCounter, turnsToSend } from "./history.ts";
import type {
  AttachmentKind,
  ChatChunk,
  ChatModelInfo,
  ChatProvider,
  ChatRequest,
  ChatTurn,
  ProviderHealth,
} from "./provider.ts";
import { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from "./retry.ts";
import { type AttemptState, retryingStream } from "./retrying_stream.ts";

/**
 * Model-name patterns (`*` matches anything, case-insensitive) that read images when a provider
 * sets no `visionModels`: the vision families Ollama, llama.cpp, vLLM and OpenRouter serve.
 */
export const DEFAULT_VISION_MODELS: readonly string[] = [
  "*vision*",
  "*llava*",
  "*-vl*",
  "*vl:*",
  "*moondream*",
  "*minicpm-v*",
  "*gemma3*",
  "*gemma-3*",
  "*pixtral*",
  "*gpt-4o*",
  "*gpt-4.1*",
  "*gpt-5*",
  "*claude*",
  "*gemini*",
  "*llama-4*",
  "*llama4*",
];

/**
 * Model families a `/models` listing returns that cannot chat (embeddings, speech, images,
 * moderation, legacy completions); left out of the picker. A provider's fixed `models` are not filtered.
 */
export const NON_CHAT_MODELS =
  /embed|(^|[-_:/])tts|whisper|transcribe|dall-e|gpt-image|moderation|(^|[-_:/])(davinci|babbage)|realtime|(^|[-_:/])audio|search-preview|computer-use/i;

/** Options of {@link OpenAICompatibleProvider}. */
export interface OpenAIProviderOptions {
  /** Provider id, the prefix of its model ids (`[a-z][a-z0-9-]*`), e.g. "ollama". */
  id: string;
  /** Name shown next to its models, e.g. "Ollama". */
  label: string;
  /** API root including `/v1`, e.g. "http://localhost:11434/v1". */
  baseUrl: string;
  /** Bearer key; omitted for local servers (no Authorization header is sent then). */
  apiKey?: string;
  /** Remote id of the default model; the first listed model when omitted. */
  defaultModel?: string;
  /** Fixed remote model ids: when set, `/models` is not asked. */
  models?: readonly string[];
  /** Patterns of remote ids that read images (default {@link DEFAULT_VISION_MODELS}). */
  visionModels?: readonly string[];
  /** Patterns of remote ids that read PDF files (default none). */
  pdfModels?: readonly string[];
  /** Longest wait for the first chunk and between chunks, ms (default 60 000). */
  timeoutMs?: number;
  /** Retries of a failed request before its first token (default 2). */
  maxRetries?: number;
  /** Finer retry bounds. */
  retry?: Partial<RetryPolicy>;
  /** Tokens the system prompt plus history may use (default 100 000, estimated). */
  contextTokenBudget?: number;
  /** Token counter for trimming (default ~4 characters per token). */
  countTokens?: TokenCounter;
  /** Random source for backoff jitter. */
  random?: () => number;
}

/** Turns a `*` pattern into an anchored case-insensitive RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "i");
}

/** What the provider knows about one attempt that the thrown error does not say. */
interface AttemptContext extends AttemptState {
  model: string;
  providerLabel: string;
}

const CONTEXT_TOO_LONG =
  /context length|context window|maximum context|too many tokens|prompt is too long|exceeds the (available )?context/i;

/**
 * Maps anything thrown while calling an OpenAI-compatible server to a ChatError (exported for tests).
 * `secret` is redacted from the logged detail.
 */
export function classifyOpenAIError(error: unknown, ctx: AttemptContext, secret?: string): ChatError {
  const fail = (
    code: ChatErrorCode,
    init: { status?: number; retryAfterMs?: number; message?: string } = {},
  ) => {
    const raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new ChatError(code, init.message, {
      status: init.status,
      retryAfterMs: init.retryAfterMs,
      detail: redactSecrets(raw, [secret]).slice(0, 2000),
    });
  };
  if (ctx.callerAborted) {
    return error instanceof ChatError && error.code === "aborted" ? error : fail("aborted");
  }
  if (ctx.timedOut) return fail("timeout");
  if (error instanceof ChatError) return error;
  if (error instanceof APIUserAbortError) return fail("aborted");
  if (error instanceof APIConnectionError) {
    return fail(ctx.yieldedText ? "stream_broken" : "upstream_unavailable");
  }
  if (error instanceof APIError) {
    const status = error.status;
    if (ctx.yieldedText || status === undefined) {
      // An in-stream `{ error }` frame has no status.
      return fail(ctx.yieldedText ? "stream_broken" : "upstream_unavailable", { status });
    }
    const upstream = redactSecrets(String(error.message ?? ""), [secret]).slice(0, 300);
    if (status === 429) {
      const headers = error.headers;
      const ms = headers?.get("retry-after-ms");
      const retryAfterMs = ms && /^\d+(\.\d+)?$/.test(ms.trim())
        ? Math.round(Number(ms))
        : parseRetryAfter(headers?.get("retry-after"));
      return fail("rate_limited", { status, retryAfterMs });
    }
    if (status === 401 || status === 403) {
      return fail("bad_key", {
        status,
        message:
          `The API key of ${ctx.providerLabel} was rejected. Check its key in the server configuration.`,
      });
    }
    if (error.code === "context_length_exceeded" || CONTEXT_TOO_LONG.test(upstream)) {
      return fail("context_too_long", { status });
    }
    if (status === 404) {
      return fail("bad_request", {
        status,
        message: `The model "${ctx.model}" is not available on ${ctx.providerLabel}.`,
      });
    }
    if (status === 408 || status >= 500) return fail("upstream_unavailable", { status });
    return fail("bad_request", {
      status,
      message: upstream ? `The model rejected the request: ${upstream}` : undefined,
    });
  }
  return fail(ctx.yieldedText ? "stream_broken" : "upstream_unavailable");
}

/** A `data:` URL of `bytes`. */
function dataUrl(mimeType: string, bytes: Uint8Array): string {
  return `data:${mimeType};base64,${
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
  }`;
}

/** One turn as a chat-completions message: text, then image (and PDF file) parts. */
export function toOpenAIMessage(turn: ChatTurn): ChatCompletionMessageParam {
  if (turn.role === "assistant") return { role: "assistant", content: turn.content };
  if (!turn.attachments?.length) return { role: "user", content: turn.content };
  const parts: ChatCompletionContentPart[] = [{ type: "text", text: turn.content }];
  for (const a of turn.attachments) {
    if (a.mimeType === "application/pdf") {
      parts.push({
        type: "file",
        file: { filename: a.name ?? "document.pdf", file_data: dataUrl(a.mimeType, a.data) },
      });
    } else {
      parts.push({ type: "image_url", image_url: { url: dataUrl(a.mimeType, a.data) } });
    }
  }
  return { role: "user", content: parts };
}

/** Chat with the models of one OpenAI-compatible server. */
export class OpenAICompatibleProvider implements ChatProvider {
  readonly id: string;
  readonly label: string;
  /** Public id of the configured default model, or "" (the first listed model is the default then). */
  readonly defaultModel: string;
  /** The fixed models when configured, else just the default (the live list comes from {@link listModels}). */
  readonly models: readonly ChatModelInfo[];
  readonly #client: OpenAI;
  readonly #apiKey?: string;
  readonly #fixed?: readonly string[];
  readonly #vision: RegExp[];
  readonly #pdf: RegExp[];
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #budget: number;
  readonly #countTokens?: TokenCounter;
  readonly #random: () => number;

  constructor(options: OpenAIProviderOptions) {
    this.id = options.id;
    this.label = options.label;
    this.#apiKey = options.apiKey;
    this.#fixed = options.models;
    this.#vision = (options.visionModels ?? DEFAULT_VISION_MODELS).map(globToRegExp);
    this.#pdf = (options.pdfModels ?? []).map(globToRegExp);
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (options.maxRetries !== undefined) this.#retry.maxRetries = options.maxRetries;
    this.#budget = options.contextTokenBudget ?? 100_000;
    this.#countTokens = options.countTokens;
    this.#random = options.random ?? Math.random;
    this.defaultModel = options.defaultModel ? this.publicId(options.defaultModel) : "";
    const fixed = options.models ?? (options.defaultModel ? [options.defaultModel] : []);
    this.models = fixed.map((m) => this.modelInfo(m));
    this.#client = new OpenAI({
      baseURL: options.baseUrl,
      // The SDK insists on a key; without one the Authorization header is removed below.
      apiKey: options.apiKey ?? "no-key",
      organization: null,
      project: null,
      maxRetries: 0,
      // The idle timer below bounds each wait; the SDK's timeout would cut a long reply.
      timeout: 24 * 60 * 60_000,
      logLevel: "off",
      defaultHeaders: options.apiKey ? undefined : { Authorization: null },
    });
  }

  /** `<id>:<remote>`. */
  publicId(remote: string): string {
    return `${this.id}:${remote}`;
  }

  /** The remote id of a public id of this provider (a bare remote id is accepted too). */
  remoteId(model: string): string {
    return model.startsWith(`${this.id}:`) ? model.slice(this.id.length + 1) : model;
  }

  /** What a remote model reads besides text, by the vision/PDF patterns. */
  accepts(remote: string): AttachmentKind[] {
    const out: AttachmentKind[] = [];
    if (this.#vision.some((r) => r.test(remote))) out.push("image");
    if (this.#pdf.some((r) => r.test(remote))) out.push("pdf");
    return out;
  }

  /** Picker entry of a remote model: "llama3.2:3b · Ollama". */
  modelInfo(remote: string): ChatModelInfo {
    return { id: this.publicId(remote), label: `${remote} · ${this.label}`, accepts: this.accepts(remote) };
  }

  /** Chat models from `GET /models` (without {@link NON_CHAT_MODELS}), or the fixed list; throws `ChatError`. */
  async listModels(signal?: AbortSignal): Promise<ChatModelInfo[]> {
    if (this.#fixed) return this.#fixed.map((m) => this.modelInfo(m));
    const timeout = AbortSignal.timeout(Math.min(this.#timeoutMs, 10_000));
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const out: ChatModelInfo[] = [];
      for await (const m of this.#client.models.list({ signal: combined })) {
        if (typeof m.id === "string" && m.id !== "" && !NON_CHAT_MODELS.test(m.id)) {
          out.push(this.modelInfo(m.id));
        }
        if (out.length >= 500) break;
      }
      return out;
    } catch (e) {
      const callerAborted = signal?.aborted ?? false;
      throw classifyOpenAIError(e, {
        callerAborted,
        timedOut: timeout.aborted && !callerAborted,
        yieldedText: false,
        model: "",
        providerLabel: this.label,
      }, this.#apiKey);
    }
  }

  /** Lists the models to prove the server answers; see {@link ChatProvider.health}. */
  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    const started = performance.now();
    try {
      await this.listModels(signal);
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (e) {
      const message = e instanceof ChatError ? e.message : "The model server did not answer.";
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: message };
    }
  }

  /** Streams a reply; see {@link ChatProvider.stream}. */
  async *stream(request: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    const model = this.remoteId(request.model || this.defaultModel);
    if (!model) throw new ChatError("bad_request", `${this.label} has no default model: pick one.`);
    const turns = turnsToSend(request, { budgetTokens: this.#budget, countTokens: this.#countTokens });
    const messages: ChatCompletionMessageParam[] = [];
    if (request.systemPrompt?.trim()) messages.push({ role: "system", content: request.systemPrompt });
    for (const t of turns) messages.push(toOpenAIMessage(t));

    const client = this.#client;
    yield* retryingStream<AttemptContext>({
      signal: request.signal,
      policy: this.#retry,
      random: this.#random,
      timeoutMs: this.#timeoutMs,
      timeoutMessage: "the model server did not respond in time",
      newState: () => ({
        callerAborted: false,
        timedOut: false,
        yieldedText: false,
        model,
        providerLabel: this.label,
      }),
      classify: (e, ctx) => classifyOpenAIError(e, ctx, this.#apiKey),
      abortedWhileWaiting: () => new ChatError("aborted"),
      async *run(_ctx, attempt) {
        const upstream = await client.chat.completions.create(
          { model, messages, stream: true, stream_options: { include_usage: true } },
          { signal: attempt.signal },
        );
        let finished: string | undefined;
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of attempt.idle(upstream)) {
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content;
          if (typeof text === "string" && text !== "") yield { type: "text", text };
          if (choice?.finish_reason) {
            finished = choice.finish_reason;
            if (finished === "content_filter") {
              throw new ChatError(
                "safety_blocked",
                "The model declined to answer: its content filter blocked the reply.",
              );
            }
          }
        }
        if (finished === undefined) throw new Error("the stream ended without a finish reason");
        if (usage) {
          const promptTokens = usage.prompt_tokens ?? 0;
          const completionTokens = usage.completion_tokens ?? 0;
          yield {
            type: "usage",
            promptTokens,
            completionTokens,
            totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
          };
        }
      },
    });
  }
}
