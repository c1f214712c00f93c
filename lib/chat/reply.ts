/**
 * Streams one assistant reply to the browser and into the database at the same time.
 *
 * The user message is stored before the model is called (by the caller). Here an assistant
 * message is created with status `streaming`, every token is sent as an SSE `token` event, the
 * text so far is saved at most every {@link SAVE_INTERVAL_MS}, and the reply ends as `complete`,
 * `stopped` (client went away, Stop pressed, server shutting down) or `error` (the model failed;
 * the text so far is kept). The stream to the client and the writes to the database are
 * independent: a client that disconnects stops the model but never loses the text.
 */
import type { Message, Store, TokenUsage } from "../db/mod.ts";
import { HttpError } from "../web/errors.ts";
import { SSE_HEADERS, sseEvent } from "../web/sse.ts";
import { ChatError, isChatError } from "./errors.ts";
import type { ChatProvider, ChatTurn } from "./provider.ts";

/** How often partial text is saved while streaming. */
export const SAVE_INTERVAL_MS = 250;

/** What a reply needs. */
export interface ReplyInput {
  store: Store;
  provider: ChatProvider;
  ownerId: string;
  conversationId: string;
  systemPrompt: string;
  model?: string;
  /** The conversation so far (complete turns), ending with the user message to answer. */
  history: ChatTurn[];
  /** The row the reply streams into (already `streaming`); created under the leaf when omitted. */
  assistant?: Message;
  /** Text the reply already has (continue of a stopped reply); new text is appended to it. */
  prefix?: string;
  /** Aborted when the server shuts down. */
  shutdownSignal: AbortSignal;
  /**
   * Called once the reply is finally stored (null: not stored yet), before the final event is
   * sent; awaited, so e.g. the token charge is visible when the client sees `done`.
   */
  onSettled?: (message: Message | null) => void | Promise<void>;
  /** How the final write is retried; default {@link DEFAULT_SAVE_RETRY}. */
  saveRetry?: SaveRetry;
}

/** Conversation messages as model turns: user turns and assistant turns that have text. */
export function toTurns(messages: readonly Message[]): ChatTurn[] {
  return messages
    .filter((m) => m.role === "user" || (m.content.length > 0 && m.status !== "streaming"))
    .map((m) => ({ role: m.role, content: m.content }));
}

/** Creates the assistant message and returns the SSE response that streams it. */
export async function streamReply(input: ReplyInput): Promise<Response> {
  const { store, provider } = input;
  const assistant = input.assistant ?? await store.appendMessage(input.ownerId, input.conversationId, {
    role: "assistant",
    content: "",
    status: "streaming",
  });
  if (!assistant) throw new HttpError(404, "not_found", "Conversation not found");

  const upstream = new AbortController();
  const stop = () => upstream.abort();
  input.shutdownSignal.addEventListener("abort", stop, { once: true });

  let text = input.prefix ?? "";
  let lastSave = performance.now();
  let saving: Promise<unknown> = Promise.resolve();
  let clientGone = false;

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) => {
        if (clientGone) return;
        try {
          controller.enqueue(sseEvent(event, data));
        } catch {
          clientGone = true;
        }
      };
      let status: Message["status"] = "complete";
      let usage: TokenUsage | undefined;
      let failure: { code: string; message: string } | null = null;
      try {
        for await (
          const chunk of provider.stream({
            systemPrompt: input.systemPrompt || undefined,
            history: input.history,
            model: input.model,
            signal: upstream.signal,
          })
        ) {
          if (chunk.type === "text") {
            text += chunk.text;
            send("token", { text: chunk.text });
            if (performance.now() - lastSave >= SAVE_INTERVAL_MS) {
              lastSave = performance.now();
              const snapshot = text;
              // A failed intermediate save is covered by the final one.
              saving = saving.then(() => store.updateMessage(assistant.id, { content: snapshot })).catch(
                () => {},
              );
            }
          } else {
            usage = { promptTokens: chunk.promptTokens, completionTokens: chunk.completionTokens };
          }
        }
      } catch (error) {
        if (upstream.signal.aborted || (isChatError(error) && error.code === "aborted")) {
          status = "stopped";
        } else {
          status = "error";
          const chatError = isChatError(error)
            ? error
            : new ChatError("upstream_unavailable", undefined, { cause: error });
          if (!isChatError(error)) {
            console.error(JSON.stringify({ level: "error", msg: "reply failed", error: String(error) }));
          }
          failure = { code: chatError.code, message: chatError.message };
        }
      } finally {
        input.shutdownSignal.removeEventListener("abort", stop);
      }
      await saving;
      const final = await saveFinal(store, assistant.id, { content: text, status, usage }, input.saveRetry);
      await input.onSettled?.(final);
      if (failure) send("error", { ...failure, messageId: assistant.id });
      else if (!final) {
        send("error", {
          code: "database_unavailable",
          message: "The database is unavailable: the reply is kept here and saved once it is back.",
          messageId: assistant.id,
        });
      } else send("done", { messageId: assistant.id, status, usage });
      if (!clientGone) {
        try {
          controller.close();
        } catch { /* client already gone */ }
      }
    },
    cancel() {
      clientGone = true;
      upstream.abort();
    },
  });
  return new Response(body, {
    headers: { ...SSE_HEADERS, "x-message-id": assistant.id },
  });
}

/** Retry schedule of the final write. */
export interface SaveRetry {
  /** Delays of the attempts made while the client waits for `done`, ms. */
  quickDelaysMs: number[];
  /** Afterwards, one more attempt every this many ms in the background... */
  lateEveryMs: number;
  /** ...for this long, ms (then the row stays `streaming` until the stale-reply sweep marks it). */
  lateForMs: number;
}

/**
 * Default: about 7.7 s of attempts while the client waits, then every 5 s for 10 minutes in the
 * background, so a longer database outage still ends with the whole reply stored.
 */
export const DEFAULT_SAVE_RETRY: SaveRetry = Object.freeze({
  quickDelaysMs: [0, 200, 500, 1000, 2000, 4000],
  lateEveryMs: 5000,
  lateForMs: 10 * 60_000,
});

/** The final write, retried with backoff so a brief database outage loses nothing. */
async function saveFinal(
  store: Store,
  id: string,
  patch: { content: string; status: Message["status"]; usage?: TokenUsage },
  retry: SaveRetry = DEFAULT_SAVE_RETRY,
): Promise<Message | null> {
  for (const delay of retry.quickDelaysMs) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    try {
      return await store.updateMessage(id, patch);
    } catch { /* retry */ }
  }
  console.error(
    JSON.stringify({ level: "error", msg: "reply not saved yet; retrying in the background", messageId: id }),
  );
  saveLate(store, id, patch, retry);
  return null;
}

/** Background attempts after the quick ones; the timer does not keep the process alive. */
function saveLate(
  store: Store,
  id: string,
  patch: { content: string; status: Message["status"]; usage?: TokenUsage },
  retry: SaveRetry,
): void {
  const giveUpAt = performance.now() + retry.lateForMs;
  const attempt = async () => {
    try {
      await store.updateMessage(id, patch);
      return;
    } catch { /* still down */ }
    if (performance.now() >= giveUpAt) {
      console.error(JSON.stringify({ level: "error", msg: "reply could not be saved", messageId: id }));
      return;
    }
    Deno.unrefTimer(setTimeout(attempt, retry.lateEveryMs));
  };
  Deno.unrefTimer(setTimeout(attempt, retry.lateEveryMs));
}
