/**
 * One assistant reply, generated apart from whoever watches it. {@link startReply} creates the
 * assistant message (status `streaming`) and runs the model in the background; any number of
 * consumers read it through {@link ReplyRun.events} from any offset (the first HTTP request, a
 * reload, a second tab), and a consumer going away changes nothing for the reply.
 *
 * The text so far is saved at most every {@link SAVE_INTERVAL_MS} while tokens arrive, and at
 * least every `heartbeatMs` (the heartbeat the stale-reply sweep looks at). Each save reads the
 * Stop flag that any instance may set in PostgreSQL. The reply ends `complete`, `stopped` (Stop,
 * the `maxSeconds` cap, the server shutting down) or `error` (the model failed; the text so far is
 * kept). Nothing here knows about HTTP: transports adapt the events.
 */
import type { Message, Store, TokenUsage } from "../db/mod.ts";
import type { ReplyStore } from "../db/replies.ts";
import { ChatError, isChatError } from "./errors.ts";
import type { ChatChunk, ChatProvider, ChatTurn } from "./provider.ts";
import { codePointLength, type ReplyEnd, type ReplyEvent, utf16Index } from "./reply_events.ts";
import { log } from "../log.ts";

/** How often partial text is saved while tokens arrive. */
export const SAVE_INTERVAL_MS = 250;

/** Why a reply was stopped before the model finished. */
export type StopReason = "stop" | "cap" | "shutdown";

/** What a reply needs. */
export interface ReplyInput {
  store: Pick<Store, "appendMessage">;
  replies: ReplyStore;
  provider: ChatProvider;
  ownerId: string;
  conversationId: string;
  systemPrompt: string;
  model?: string;
  /** The conversation so far (complete turns), ending with the user message to answer. */
  history: ChatTurn[];
  /**
   * The row the reply streams into (already `streaming`, or being written by the transaction that
   * `committed` settles); created under the leaf when omitted.
   */
  assistant?: Pick<Message, "id">;
  /** Text the reply already has (continue of a stopped reply); new text is appended to it. */
  prefix?: string;
  /** Aborted when the server shuts down: the reply ends `stopped`. */
  shutdownSignal: AbortSignal;
  /** Longest a reply may generate, seconds; then it ends `stopped`. */
  maxSeconds: number;
  /** Heartbeat (and Stop flag check) interval while streaming, ms. */
  heartbeatMs: number;
  /**
   * Called once the reply is finally stored (null: not stored yet), before the final event is
   * sent; awaited, so e.g. the token charge is visible when a client sees `done`.
   */
  onSettled?: (message: Message | null) => void | Promise<void>;
  /** How the final write is retried; default {@link DEFAULT_SAVE_RETRY}. */
  saveRetry?: SaveRetry;
  /**
   * Settles when the transaction that created `assistant` has committed. The model is asked at once,
   * but its text is not taken, saved or shown before this resolves; when it rejects, the model
   * request is aborted and the run ends without writing anything (the rows were never stored).
   */
  committed?: Promise<unknown>;
}

/** Conversation messages as model turns: user turns and assistant turns that have text. */
export function toTurns(messages: readonly Pick<Message, "role" | "content" | "status">[]): ChatTurn[] {
  return messages
    .filter((m) => m.role === "user" || (m.content.length > 0 && m.status !== "streaming"))
    .map((m) => ({ role: m.role, content: m.content }));
}

/**
 * Creates the assistant message (unless `input.assistant` is given) and starts generating it;
 * null when the conversation is not the owner's. The returned run is already running.
 */
export async function startReply(input: ReplyInput): Promise<ReplyRun | null> {
  const assistant = input.assistant ?? await input.store.appendMessage(input.ownerId, input.conversationId, {
    role: "assistant",
    content: "",
    status: "streaming",
  });
  if (!assistant) return null;
  return new ReplyRun(assistant.id, input);
}

/** A reply being generated in this process. */
export class ReplyRun {
  readonly messageId: string;
  readonly ownerId: string;
  readonly conversationId: string;
  /** Resolves with the stored message once the reply has ended (null when the final save failed). */
  readonly settled: Promise<Message | null>;
  /** Offset where this run's own text starts (the length of a continued reply's prefix). */
  readonly startOffset: number;
  #text: string;
  #length: number;
  #end: ReplyEnd | null = null;
  #stopReason: StopReason | null = null;
  readonly #upstream = new AbortController();
  readonly #waiters = new Set<() => void>();

  constructor(messageId: string, input: ReplyInput) {
    this.messageId = messageId;
    this.ownerId = input.ownerId;
    this.conversationId = input.conversationId;
    this.#text = input.prefix ?? "";
    this.#length = codePointLength(this.#text);
    this.startOffset = this.#length;
    this.settled = this.#generate(input);
  }

  /** The text so far. */
  get text(): string {
    return this.#text;
  }

  /** Length of the text so far, in code points. */
  get length(): number {
    return this.#length;
  }

  /** The final event, once the reply has ended and been stored. */
  get end(): ReplyEnd | null {
    return this.#end;
  }

  /** Stops the model; the reply ends `stopped` with the text so far. Harmless once ended. */
  stop(reason: StopReason = "stop"): void {
    if (this.#upstream.signal.aborted) return;
    this.#stopReason = reason;
    this.#upstream.abort(reason);
  }

  /**
   * The reply from code point `from` on: the text already generated as one `token` event, then
   * the rest live, then `done` or `error`. Ends early (without a final event) when `signal` aborts.
   */
  async *events(from = 0, signal?: AbortSignal): AsyncGenerator<ReplyEvent> {
    let sent = Math.max(0, Math.floor(from));
    let index = -1;
    while (!signal?.aborted) {
      if (this.#length > sent) {
        if (index < 0) index = utf16Index(this.#text, sent);
        const text = this.#text.slice(index);
        index = this.#text.length;
        sent = this.#length;
        yield { type: "token", text, offset: sent };
        continue;
      }
      if (this.#end) {
        yield { ...this.#end };
        return;
      }
      await this.#changed(signal);
    }
  }

  #changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  async #generate(input: ReplyInput): Promise<Message | null> {
    const { replies } = input;
    // The model request starts now, overlapping the commit of the reply's row (when still under way).
    let upstream: AsyncIterator<ChatChunk> | null = null;
    let next: Promise<IteratorResult<ChatChunk>>;
    try {
      upstream = input.provider.stream({
        systemPrompt: input.systemPrompt || undefined,
        history: input.history,
        model: input.model,
        signal: this.#upstream.signal,
      })[Symbol.asyncIterator]();
      next = upstream.next();
    } catch (error) {
      next = Promise.reject(error);
    }
    next.catch(() => {/* awaited below */});
    if (input.committed) {
      try {
        await input.committed;
      } catch {
        // Nothing was stored: no text is taken, no save is made and nobody was told of the reply.
        this.#upstream.abort("not committed");
        upstream?.return?.().catch(() => {});
        this.#end = {
          type: "error",
          code: "database_unavailable",
          message: "The database is unavailable: your message was not stored.",
          messageId: this.messageId,
          offset: this.#length,
        };
        this.#notify();
        return null;
      }
    }
    const onShutdown = () => this.stop("shutdown");
    input.shutdownSignal.addEventListener("abort", onShutdown, { once: true });
    if (input.shutdownSignal.aborted) this.stop("shutdown");
    const cap = setTimeout(() => this.stop("cap"), input.maxSeconds * 1000);
    Deno.unrefTimer(cap);

    let savedLength = this.#length;
    let lastSave = performance.now();
    let saving: Promise<void> | null = null;
    const save = () => {
      if (saving) return;
      lastSave = performance.now();
      const content = this.#length !== savedLength ? this.#text : null;
      const length = this.#length;
      saving = replies.saveProgress(this.messageId, content).then((state) => {
        if (content !== null) savedLength = length;
        // Stop from any tab or instance; or the row is gone (conversation deleted) or was
        // given up by the stale-reply sweep: nobody can see the rest, so stop the model.
        if (state === null || state.stopRequested) this.stop("stop");
      }).catch(() => {/* the next save or the final one covers it */}).finally(() => {
        saving = null;
      });
    };
    const heartbeat = setInterval(save, input.heartbeatMs);

    let status: Message["status"] = "complete";
    let usage: TokenUsage | undefined;
    let failure: { code: string; message: string } | null = null;
    try {
      for (let step = await next; !step.done; step = await upstream!.next()) {
        const chunk = step.value;
        if (chunk.type === "text") {
          if (chunk.text === "") continue;
          this.#text += chunk.text;
          this.#length += codePointLength(chunk.text);
          this.#notify();
          if (performance.now() - lastSave >= SAVE_INTERVAL_MS) save();
        } else {
          usage = { promptTokens: chunk.promptTokens, completionTokens: chunk.completionTokens };
        }
      }
    } catch (error) {
      if (this.#upstream.signal.aborted || (isChatError(error) && error.code === "aborted")) {
        status = "stopped";
      } else {
        status = "error";
        const chatError = isChatError(error)
          ? error
          : new ChatError("upstream_unavailable", undefined, { cause: error });
        if (!isChatError(error)) {
          log.error("reply failed", { error: String(error) });
        }
        failure = { code: chatError.code, message: chatError.message };
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(cap);
      input.shutdownSignal.removeEventListener("abort", onShutdown);
    }
    if (this.#stopReason !== null && status === "complete") status = "stopped";
    await (saving as Promise<void> | null);
    const saved = await saveFinal(
      replies,
      this.messageId,
      { content: this.#text, status, usage },
      input.saveRetry,
    );
    const final = saved.kind === "stored" ? saved.message : null;
    try {
      await input.onSettled?.(final);
    } catch (error) {
      log.error("reply settle hook failed", { error: String(error) });
    }
    const offset = this.#length;
    if (failure) this.#end = { type: "error", ...failure, messageId: this.messageId, offset };
    else if (saved.kind === "gone") {
      this.#end = {
        type: "error",
        code: "not_found",
        message: "The conversation was deleted while the reply was being written.",
        messageId: this.messageId,
        offset,
      };
    } else if (!final) {
      this.#end = {
        type: "error",
        code: "database_unavailable",
        message: "The database is unavailable: the reply is kept here and saved once it is back.",
        messageId: this.messageId,
        offset,
      };
    } else {
      this.#end = {
        type: "done",
        messageId: this.messageId,
        status: status === "stopped" ? "stopped" : "complete",
        usage,
        offset,
      };
    }
    this.#notify();
    return final;
  }
}

/** Retry schedule of the final write. */
export interface SaveRetry {
  /** Delays of the attempts made before the reply's final event, ms. */
  quickDelaysMs: number[];
  /** Afterwards, one more attempt every this many ms in the background... */
  lateEveryMs: number;
  /** ...for this long, ms (then the row stays `streaming` until the stale-reply sweep marks it). */
  lateForMs: number;
}

/**
 * Default: about 7.7 s of attempts before the final event, then every 5 s for 10 minutes in the
 * background, so a longer database outage still ends with the whole reply stored.
 */
export const DEFAULT_SAVE_RETRY: SaveRetry = Object.freeze({
  quickDelaysMs: [0, 200, 500, 1000, 2000, 4000],
  lateEveryMs: 5000,
  lateForMs: 10 * 60_000,
});

type FinalPatch = { content: string; status: Message["status"]; usage?: TokenUsage };

/** Outcome of the final write: stored, the row is gone (deleted), or not yet (database down). */
type FinalSave = { kind: "stored"; message: Message } | { kind: "gone" } | { kind: "unavailable" };

/** The final write, retried with backoff so a brief database outage loses nothing. */
async function saveFinal(
  replies: ReplyStore,
  id: string,
  patch: FinalPatch,
  retry: SaveRetry = DEFAULT_SAVE_RETRY,
): Promise<FinalSave> {
  for (const delay of retry.quickDelaysMs) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    try {
      const message = await replies.finish(id, patch);
      return message ? { kind: "stored", message } : { kind: "gone" };
    } catch { /* retry */ }
  }
  log.error("reply not saved yet; retrying in the background", { messageId: id });
  saveLate(replies, id, patch, retry);
  return { kind: "unavailable" };
}

/** Background attempts after the quick ones; the timer does not keep the process alive. */
function saveLate(replies: ReplyStore, id: string, patch: FinalPatch, retry: SaveRetry): void {
  const giveUpAt = performance.now() + retry.lateForMs;
  const attempt = async () => {
    try {
      await replies.finish(id, patch);
      return;
    } catch { /* still down */ }
    if (performance.now() >= giveUpAt) {
      log.error("reply could not be saved", { messageId: id });
      return;
    }
    Deno.unrefTimer(setTimeout(attempt, retry.lateEveryMs));
  };
  Deno.unrefTimer(setTimeout(attempt, retry.lateEveryMs));
}
