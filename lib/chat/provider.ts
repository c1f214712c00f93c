/**
 * The one interface every chat model provider implements (hosted Gemini today, the local model
 * later). The web layer streams a reply through {@link ChatProvider.stream} and never needs to know
 * which provider it talks to. Failures are thrown as `ChatError` (see `./errors.ts`).
 */

/** Message shown when no model is available. */
export const NO_MODEL_MESSAGE =
  "No chat model is configured: set GEMINI_API_KEY or OPENAI_BASE_URL (see the README's configuration) and restart.";

/** Who said a turn. The provider maps these to its own roles ("assistant" is Gemini's "model"). */
export type ChatRole = "user" | "assistant";

/** Kinds of file a model can read besides text (see docs/chat-providers.md, "Attachments"). */
export type AttachmentKind = "image" | "pdf";

/** A file sent with a turn: its bytes and their checked type. */
export interface ChatAttachment {
  /** One of image/png, image/jpeg, image/webp, image/gif, application/pdf (checked by magic bytes). */
  mimeType: string;
  data: Uint8Array;
  /** File name as uploaded, for PDFs sent as files. */
  name?: string;
}

/** One message of the conversation history. */
export interface ChatTurn {
  role: ChatRole;
  content: string;
  /** Files of a user turn, in upload order. */
  attachments?: readonly ChatAttachment[];
}

/** What to reply to. */
export interface ChatRequest {
  /** Per-conversation instructions; always kept, never trimmed. */
  systemPrompt?: string;
  /** The conversation so far, oldest first, ending with the user message to answer. */
  history: ChatTurn[];
  /** Model id; the provider's default when omitted. */
  model?: string;
  /** Aborting it cancels the upstream call; the stream then throws a `ChatError` with code `aborted`. */
  signal: AbortSignal;
}

/** Token counts the model reported for one reply. */
export interface ChatUsage {
  promptTokens: number;
  /** Output tokens, including any hidden "thinking" tokens the model bills as output. */
  completionTokens: number;
  totalTokens: number;
}

/**
 * One piece of a streamed reply: text as it arrives, then (at most once, last) the usage the model
 * reported. Normal completion of the iterator means the reply is complete.
 */
export type ChatChunk =
  | { type: "text"; text: string }
  | ({ type: "usage" } & ChatUsage);

/** A model a provider offers, for the model picker. */
export interface ChatModelInfo {
  /** Id passed as {@link ChatRequest.model}, e.g. "gemini-2.5-flash". */
  id: string;
  /** Human label, e.g. "Gemini 2.5 Flash". */
  label: string;
  /** Kinds of attachment the model reads; none when absent (text only). */
  accepts?: readonly AttachmentKind[];
}

/** Result of a cheap reachability check (for `GET /api/health`). */
export interface ProviderHealth {
  ok: boolean;
  /** Wall time the check took. */
  latencyMs: number;
  /** User-readable reason when not ok (never contains a key). */
  error?: string;
}

/** A chat model backend. */
export interface ChatProvider {
  /** Stable id, e.g. "gemini". */
  readonly id: string;
  /** Shown in the UI, e.g. "Gemini 2.5 Flash" (the default model's label). */
  readonly label: string;
  /** Model used when a request names none. */
  readonly defaultModel: string;
  /** Models offered in the picker (the default first); the fallback when {@link listModels} is absent. */
  readonly models: readonly ChatModelInfo[];
  /**
   * Models the provider offers right now (e.g. from an OpenAI-compatible `/v1/models`); optional.
   * Throws `ChatError` when the listing fails. The registry caches it.
   */
  listModels?(signal?: AbortSignal): Promise<ChatModelInfo[]>;
  /**
   * Streams a reply. Throws `ChatError`: before any text for failures of the request itself, or
   * after some text (`stream_broken`, `timeout`, `aborted`, `safety_blocked`) — callers keep the
   * text already received in that case.
   */
  stream(request: ChatRequest): AsyncIterable<ChatChunk>;
  /** Checks that the provider is reachable and the credentials work. Never throws. */
  health(signal?: AbortSignal): Promise<ProviderHealth>;
  /** Releases what the provider holds (e.g. the local model's Worker); optional. */
  close?(): void | Promise<void>;
}
