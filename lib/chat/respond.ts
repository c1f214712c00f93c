/**
 * The ways a reply starts — a new user message, regenerate, edit, continue — share one path: in
 * one transaction holding the conversation's row lock (so simultaneous requests on a conversation
 * run one after the other, and a second one while a reply is still being written is refused with
 * 409 instead of adding a duplicate branch or calling the model twice), the conversation's tree is
 * changed and the assistant message the reply streams into is created; then the reply streams to
 * the path from the root to that message. Nothing is deleted: regenerate and edit add siblings.
 * The history sent is bounded by `HISTORY_TOKEN_BUDGET` (oldest exchanges dropped first), and the
 * reply's tokens are charged to the owner's daily budget once it is stored. Without a model the
 * change is still stored and the events report why. The reply then runs in the background
 * (`ReplyService`); what is returned is a transport-free iterable of its events. The conversation's
 * model must be one the server offers (400 `unknown_model` otherwise, before anything is stored);
 * the model list is read before the lock is taken, so the lock never waits on a model server.
 * Files of user messages are checked and linked inside the transaction and sent with the history.
 */
import type postgres from "postgres";
import { turnsWithAttachments } from "../attachments/history.ts";
import { attachToMessage, checkAttachments } from "../attachments/send.ts";
import type { Config } from "../config.ts";
import { copyAttachments } from "../db/attachments.ts";
import type { Database, Message, PathMessage, Store } from "../db/mod.ts";
import type { Queryable } from "../db/sql.ts";
import { HttpError } from "../http_error.ts";
import { replyTokens, type TokenBudget } from "../security/token_budget.ts";
import { modelSnapshot, pickAllowed } from "./allowlist.ts";
import { conversationNotFound } from "./api.ts";
import { trimHistory } from "./history.ts";
import { type ChatProvider, NO_MODEL_MESSAGE } from "./provider.ts";
import type { ListedModel } from "./registry.ts";
import { toTurns } from "./reply.ts";
import { errorReply, type ReplyEvent } from "./reply_events.ts";
import type { ReplyService } from "./reply_service.ts";
import { log } from "../log.ts";

/** What starting a reply needs from the request (the app's `AppState` fits). */
export interface ReplyState {
  services: {
    db: Database;
    chat: ChatProvider | null;
    replies: ReplyService;
    config: Pick<Config, "historyTokenBudget">;
    limits: { budget: Pick<TokenBudget, "charge"> };
  };
  /** The owner of the conversation. */
  sessionId: string;
}

/** A started reply: its message id (null when none was created) and its events. */
export interface StartedReply {
  messageId: string | null;
  events: AsyncIterable<ReplyEvent>;
}

/**
 * A message of the conversation's path; `hasFiles: false` says no file is attached to it (so the
 * attachment lookup can be skipped when no message of the history has any), absent means unknown.
 */
export type HistoryMessage = Message & { hasFiles?: boolean };

/**
 * What the model reads of a message: a stored one, or one whose insert is still under way (the new
 * user message, sent in the same flight as the commit). `hasFiles` as in {@link HistoryMessage}.
 */
export type TurnMessage = Pick<Message, "id" | "role" | "content" | "status"> & { hasFiles?: boolean };

/** Where a reply goes, decided under the conversation's lock. */
export type ReplyTarget =
  /**
   * A new assistant message under `parentId`; the model reads `history` (root → parent). `reply` is
   * the `streaming` row when the plan creates it itself, in the same statement as its own write.
   * With `written`, that statement was sent but not yet answered (it must be the plan's last):
   * `written` rejects when it failed or stored nothing, and the commit follows it in one flight.
   */
  | { kind: "new"; parentId: string; history: TurnMessage[]; reply?: { id: string; written?: Promise<void> } }
  /** More text appended to a stopped reply; the model reads `history`, ending with that reply. */
  | { kind: "continue"; message: Message; history: TurnMessage[] };

/** What a plan may use: the locked conversation's current path and a store in the transaction. */
export interface TurnContext {
  store: Store;
  ownerId: string;
  conversationId: string;
  /** Root → current leaf, as it was when the lock was taken. */
  path: HistoryMessage[];
  /** A reply row will be created (a model answers): a plan may create it itself as `reply`. */
  replyRow: boolean;
  /** The transaction itself, for queries the store does not cover (attachments). */
  sql: postgres.TransactionSql;
  /** The allowed model that will answer (null without a model list: no provider, or a bare provider). */
  model: ListedModel | null;
}

/** Changes the tree (inside the transaction) and says where the reply goes. */
export type PlanReply = (turn: TurnContext) => Promise<ReplyTarget>;

/**
 * Locks the conversation, runs `plan`, creates the reply's row and starts the reply; `onSettled`
 * runs once the reply has ended (at once when none was started). The events (from where this
 * reply's new text starts) end early when `signal` aborts (the client left); the reply goes on.
 */
export async function respond(
  state: ReplyState,
  conversationId: string,
  plan: PlanReply,
  options: {
    signal: AbortSignal;
    onSettled?: () => void;
    /** A check run in the transaction, pipelined with the lock (the token budget); a throw refuses. */
    admit?: (sql: Queryable) => Promise<unknown>;
  },
): Promise<StartedReply> {
  const { db, chat, replies, config, limits } = state.services;
  const ownerId = state.sessionId;
  const models = await modelSnapshot(chat);
  // Round trips before the model is called (docs/performance.md): begin, the lock, the path read
  // (path + files + reply in progress) and the admission check in one flight; then the last write
  // (the user message and its reply row in one statement for a new message) and the commit in a
  // second flight, overlapped with the model request: no text is taken from the model, and nothing
  // is returned, before both succeeded.
  const { value: started, committed: plainCommit } = await db.pipelinedTransaction(
    async (store, sql, end) => {
      const [lock] = await Promise.all([
        store.lockReplyPath(ownerId, conversationId),
        options.admit?.(sql),
      ]);
      if (!lock) throw conversationNotFound();
      const model = chat ? pickAllowed(models, lock.conversation.model) : null;
      if (lock.replyInProgress) {
        throw new HttpError(
          409,
          "reply_in_progress",
          "A reply in this conversation is still being written; wait for it or stop it first.",
        );
      }
      const target = await plan({
        store,
        ownerId,
        conversationId,
        path: lock.path,
        sql,
        model,
        replyRow: chat !== null,
      });
      if (!chat) return { lock, target, assistant: null, model, stored: null };
      // The reply's row: the plan's own write (maybe still under way), or one statement here. Every
      // check that could refuse has passed, so the commit goes out right behind it, unanswered.
      const assistant = target.kind === "continue"
        ? { id: target.message.id, written: store.updateMessage(target.message.id, { status: "streaming" }) }
        : target.reply ?? rowWrite(crypto.randomUUID(), (id) =>
          store.appendUnderLock(conversationId, {
            id,
            role: "assistant",
            content: "",
            status: "streaming",
            parentId: target.parentId,
          }));
      const written = assistant.written?.then((row) => {
        if (row === null) throw conversationNotFound();
      });
      const commit = end.commit();
      // A failed write makes the commit answer ROLLBACK: report the write's own error, the cause.
      const stored = written ? written.then(() => commit) : commit;
      stored.catch(() => {}); // awaited after the transaction (the reply's `committed`)
      return { lock, target, assistant: { id: assistant.id }, model, stored };
    },
  );
  const committed = started.stored ?? plainCommit;
  if (!chat || !started.assistant) {
    await committed;
    options.onSettled?.();
    return { messageId: null, events: errorReply("model_unavailable", NO_MODEL_MESSAGE) };
  }
  const { conversation } = started.lock;
  const prefix = started.target.kind === "continue" ? started.target.message.content : "";
  const { history } = started.target;
  // Without a file in the history (known from the path read under the lock) there is nothing to look up.
  // (The attachment read uses the pool: on PGlite's one connection it runs once the commit is done.)
  const turns = history.every((m) => m.hasFiles === false)
    ? toTurns(history)
    : await committed.then(() => turnsWithAttachments(db.sql, ownerId, history, started.model));
  const fitted = trimHistory(conversation.systemPrompt, turns, {
    budgetTokens: config.historyTokenBudget,
  });
  const run = await replies.start({
    provider: chat,
    ownerId,
    conversationId,
    systemPrompt: conversation.systemPrompt,
    model: started.model?.id ?? conversation.model ?? undefined,
    history: fitted.turns,
    assistant: started.assistant,
    prefix,
    committed,
    onSettled: async (message) => {
      try {
        // Not stored (database away) means not charged: the charge would fail the same way.
        if (!message) return;
        // A continued reply is charged for its new text only.
        const added = { ...message, content: message.content.slice(prefix.length) };
        await limits.budget.charge(ownerId, replyTokens(added, fitted.tokens));
      } catch (error) {
        log.error("token charge failed", { error: String(error) });
      } finally {
        options.onSettled?.();
      }
    },
  });
  if (!run) throw conversationNotFound();
  return { messageId: run.messageId, events: run.events(run.startOffset, options.signal) };
}

/**
 * Appends a user message (with its checked attachments) under `parentId` (the last message the
 * client shows; default the current leaf), so a tab showing an older branch continues that branch.
 * The reply answers the path to it.
 */
export function appendUserMessage(
  content: string,
  parentId?: string,
  attachmentIds: readonly string[] = [],
): PlanReply {
  return async ({ store, ownerId, conversationId, path, sql, model, replyRow }) => {
    const files = await checkAttachments(sql, ownerId, model, attachmentIds);
    const history: HistoryMessage[] = parentId === undefined
      ? path
      : await pathThrough(store, ownerId, conversationId, parentId);
    const user = {
      id: crypto.randomUUID(),
      role: "user" as const,
      content,
      parentId: history.at(-1)?.id ?? null,
    };
    if (replyRow && files.length === 0) {
      // The last statement of the transaction: started, not awaited (respond commits behind it).
      const reply = { id: crypto.randomUUID() };
      const written = store.appendExchange(conversationId, user, reply).then((stored) => {
        if (!stored) throw conversationNotFound();
      });
      return {
        kind: "new",
        parentId: user.id,
        history: [...history, { ...user, status: "complete", hasFiles: false }],
        reply: { ...reply, written },
      };
    }
    let message: Message | null;
    let reply: Message | undefined;
    if (replyRow) {
      const stored = await store.appendExchange(conversationId, user, { id: crypto.randomUUID() });
      message = stored?.user ?? null;
      reply = stored?.reply;
    } else {
      message = await store.appendUnderLock(conversationId, user);
    }
    if (!message) throw conversationNotFound();
    await attachToMessage(sql, ownerId, message.id, files);
    return {
      kind: "new",
      parentId: message.id,
      history: [...history, { ...message, hasFiles: files.length > 0 }],
      reply,
    };
  };
}

/**
 * A new version of a reply: a sibling of `messageId` (any reply of the conversation), or without it
 * a new answer to the last user message on the current path. The old versions stay.
 */
export function regenerateReply(messageId?: string): PlanReply {
  return async ({ store, ownerId, conversationId, path }) => {
    let history: Message[];
    if (messageId === undefined) {
      history = path.slice(0, path.findLastIndex((m) => m.role === "user") + 1);
    } else {
      const through = await pathThrough(store, ownerId, conversationId, messageId);
      if (through.at(-1)!.role !== "assistant") {
        throw new HttpError(400, "not_a_reply", "Only a reply can be regenerated");
      }
      history = through.slice(0, -1);
    }
    const question = history.at(-1);
    if (!question || question.role !== "user") {
      throw new HttpError(409, "nothing_to_regenerate", "There is no user message to answer yet");
    }
    return { kind: "new", parentId: question.id, history };
  };
}

/**
 * Edits one of the user's messages (any branch): the new text becomes a sibling of the original
 * (same parent) and the reply answers it; the original and everything under it stay.
 */
export function editUserMessage(messageId: string, content: string): PlanReply {
  return async ({ store, ownerId, conversationId, sql }) => {
    const through = await pathThrough(store, ownerId, conversationId, messageId);
    const original = through.at(-1)!;
    if (original.role !== "user") {
      throw new HttpError(400, "not_a_user_message", "Only your own messages can be edited this way");
    }
    const message = await store.appendUnderLock(conversationId, {
      id: crypto.randomUUID(),
      role: "user",
      content,
      parentId: original.parentId,
    });
    if (!message) throw conversationNotFound();
    // The new version keeps the original's files.
    await copyAttachments(sql, ownerId, messageId, message.id);
    return { kind: "new", parentId: message.id, history: [...through.slice(0, -1), message] };
  };
}

/**
 * Continues the stopped reply at the current leaf (`messageId`, when given, must be it): the
 * model reads the path ending with that reply's text as an assistant prefix, and what it writes
 * is appended to the same message.
 */
export function continueReply(messageId?: string): PlanReply {
  return ({ path }) => {
    const leaf = path.at(-1);
    if (!leaf || (messageId !== undefined && leaf.id !== messageId)) {
      if (messageId !== undefined && !path.some((m) => m.id === messageId)) throw messageNotFound();
      throw new HttpError(409, "not_continuable", "Only the last reply of the conversation can be continued");
    }
    if (leaf.role !== "assistant" || leaf.status !== "stopped") {
      throw new HttpError(409, "not_continuable", "Only a stopped reply can be continued");
    }
    return Promise.resolve({ kind: "continue", message: leaf, history: path });
  };
}

/** A row write sent now and not awaited, with the id it writes. */
function rowWrite<R>(id: string, write: (id: string) => Promise<R>): { id: string; written: Promise<R> } {
  return { id, written: write(id) };
}

/** The path root → `messageId`; 404 when it is not a message of the conversation. */
async function pathThrough(
  store: Store,
  ownerId: string,
  conversationId: string,
  messageId: string,
): Promise<PathMessage[]> {
  const path = await store.messagePath(ownerId, conversationId, messageId);
  if (!path || path.length === 0) throw messageNotFound();
  return path;
}

/** The 404 for a message id that is not one of the conversation's messages. */
export function messageNotFound(): HttpError {
  return new HttpError(404, "not_found", "Message not found");
}
