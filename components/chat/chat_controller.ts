/**
 * The chat's effects: API calls, the reply stream, the URL. Each operation reads the current state
 * from the store, does its I/O and dispatches what happened; the transitions themselves are in
 * `state.ts`. Created once per island (`ChatApp`), so its functions are stable for memoized views.
 *
 * No polling: when a reply's stream ends, the server has already saved the reply's final row (it
 * sends `done`/`error` after the save), so one read of the conversation brings ids, statuses and
 * the title. Where the database was down at that moment the read shows the reply as `streaming`;
 * the next visibility/focus event of the tab follows it again (`refreshVisible`).
 */
import * as api from "./api.ts";
import type { MessageAction } from "./MessageView.tsx";
import {
  type ChatAction,
  type ChatState,
  filesUploading,
  isBusy,
  parentOfNext,
  type ReplyStart,
  uploadedFiles,
} from "./state.ts";
import { fileKey } from "./pending_files.ts";
import type { Store } from "./store.ts";
import type { AttachmentItem, ChatAppProps, ChatMessage, ListView } from "./types.ts";
import type { SpokenReply } from "../voice/use_voice.ts";
import { MAX_MESSAGE_CHARS, tooLongMessage } from "../../lib/chat/limits.ts";
import { linkedMessageId } from "./reveal.ts";

/** What a send sends: the composer's text and files, or `spoken` text alone (hands-free, the queue). */
export interface SendInput {
  spoken?: string;
}

/** The chat's operations. */
export interface ChatController {
  /** The island is hydrated: loads the list of a folder view, follows a reply still being written. */
  hydrate(): void;
  /** Reloads the sidebar's first page for `query` and `view` (default: the current ones). */
  refreshList(query?: string, view?: ListView): Promise<void>;
  /** The sidebar filter changed (the list reloads after a short pause). */
  changeQuery(query: string): void;
  /**
   * Sends the composer's text and files (or `spoken` text); resolves with the finished reply.
   * While a reply streams, typed text is queued instead and sent when the reply ends.
   */
  send(input: SendInput): Promise<SpokenReply | null>;
  /** Asks the server to stop the reply this tab receives. */
  stop(): void;
  /** A message's button was used. */
  onAction(action: MessageAction): void;
  rename(id: string, title: string): Promise<void>;
  remove(id: string): Promise<void>;
  saveSettings(settings: { systemPrompt: string; model: string | null }): Promise<void>;
  /** The URL's `#m-<id>` names a message on another branch: shows that branch. */
  revealBranch(hash: string): Promise<void>;
  /** The tab is visible again: shows what happened meanwhile and follows a reply being written. */
  refreshVisible(): Promise<void>;
  /** Sends the next queued message when the composer is free. */
  sendQueued(): void;
}

/** How long the sidebar filter waits for more typing, ms. */
const FILTER_DELAY_MS = 150;
let localIds = 0;
/** A new local id (`local-N`) for a message the server has not named yet. */
export const localId = (): string => `local-${++localIds}`;

const text = (error: unknown) => error instanceof Error ? error.message : String(error);

/**
 * Builds the controller of `store`. It does not call the voice layer: a Speak button and a completed
 * reply become a `voiceRequest` in the state, which `ChatApp` hands to `useVoice`.
 */
export function createChatController(
  store: Store<ChatState, ChatAction>,
  props: Pick<ChatAppProps, "conversation" | "newChatFolderId">,
): ChatController {
  const { dispatch, getState } = store;
  /** Aborting stops listening to the current reply (its conversation was deleted). */
  let listening: AbortController | null = null;
  let filterTimer: ReturnType<typeof setTimeout> | undefined;

  const refreshList = async (query = getState().query, view = getState().view) => {
    try {
      const page = await api.listView(view, query);
      dispatch({ type: "list/loaded", query, view, items: page.items, nextCursor: page.nextCursor });
    } catch { /* the list stays as it was */ }
  };

  /** Reads the conversation back after a reply so ids, statuses and the title match the server. */
  const sync = async (id: string, end: api.ReplyEnd) => {
    try {
      dispatch({
        type: "reply/synced",
        conversation: await api.getConversation(id),
        end,
        errorId: localId(),
      });
    } catch { /* keep what is shown */ }
  };

  /** Receives the reply announced in the state: tokens and the server's message id are dispatched. */
  const watch = (conversationId: string): api.ReplyWatch => {
    listening = new AbortController();
    return {
      onToken: (piece) => dispatch({ type: "reply/token", text: piece }),
      onStart: (messageId) => {
        dispatch({ type: "reply/named", messageId });
        const reply = getState().reply;
        if (reply?.phase === "streaming" && reply.stopRequested) {
          void api.stopReply(conversationId, messageId).catch(() => {});
        }
      },
      signal: listening.signal,
    };
  };

  /** Follows a reply that was already being written when this page opened (reload, another tab). */
  const followLive = async (conversationId: string, message: ChatMessage) => {
    if (isBusy(getState())) return;
    dispatch({ type: "reply/followed", conversationId, messageId: message.id });
    const end = await api.followReply(
      conversationId,
      message.id,
      api.codePoints(message.content),
      watch(conversationId),
    );
    listening = null;
    dispatch({ type: "reply/ended", end });
    await sync(conversationId, end);
    await refreshList();
    dispatch({ type: "reply/settled" });
  };

  /** Streams one reply after showing `start`. */
  const runReply = async (
    id: string,
    request: api.ReplyRequest,
    start: ReplyStart,
    replyId: string,
    restore?: { text: string; files: AttachmentItem[] },
  ): Promise<SpokenReply | null> => {
    dispatch({ type: "reply/started", conversationId: id, replyId, start, restoreText: restore?.text });
    const end = await api.streamReply(id, request, watch(id));
    listening = null;
    const reply = getState().reply;
    const replyText = reply?.phase === "streaming" ? reply.text : "";
    dispatch({ type: "reply/ended", end });
    if (end.kind === "error" && end.refused) {
      if (restore?.files.length) {
        dispatch({ type: "files/restored", files: restore.files.map((a) => ({ ...a, key: fileKey() })) });
      }
    } else {
      await sync(id, end);
      await refreshList();
    }
    dispatch({ type: "reply/settled" });
    if (end.kind !== "done" || end.status !== "complete") return null;
    return { id: end.messageId ?? replyId, text: replyText };
  };

  const send = async ({ spoken }: SendInput): Promise<SpokenReply | null> => {
    const state = getState();
    const content = spoken ?? state.text;
    const withFiles = spoken === undefined && state.files.length > 0;
    if (content.trim() === "" && !withFiles) return null;
    if (content.length > MAX_MESSAGE_CHARS) {
      // Refused here, before a conversation is created or a message queued (the server would refuse it too).
      dispatch({ type: "notice/shown", notice: tooLongMessage(content.length) });
      return null;
    }
    if (isBusy(state)) {
      // Only text is queued; files stay in the composer until the reply has ended.
      if (spoken !== undefined || content.trim() === "") return null;
      dispatch({ type: "queue/added", id: localId(), content });
      return null;
    }
    if (withFiles && filesUploading(state)) {
      dispatch({ type: "notice/shown", notice: "Wait until the files have finished uploading." });
      return null;
    }
    let id = state.meta?.id;
    if (!id) {
      dispatch({ type: "conversation/creating" });
      try {
        const created = await api.createConversation({
          systemPrompt: state.draft.systemPrompt || undefined,
          model: props.newChatFolderId && !state.draftTouched ? undefined : state.draft.model,
          folderId: props.newChatFolderId ?? undefined,
        });
        id = created.id;
        dispatch({ type: "conversation/created", conversation: created });
        history.replaceState(null, "", `/c/${id}`);
      } catch (error) {
        dispatch({ type: "conversation/create-failed", message: text(error) });
        return null;
      }
    }
    const sent = withFiles ? uploadedFiles(getState()) : [];
    if (withFiles) dispatch({ type: "files/taken" });
    const user: ChatMessage = {
      id: localId(),
      role: "user",
      content,
      status: "complete",
      ...(sent.length ? { attachments: sent } : {}),
    };
    // Answer under the last message shown, even if another tab switched the stored branch meanwhile.
    const parentId = parentOfNext(getState());
    return await runReply(
      id,
      { kind: "send", content, parentId, attachmentIds: sent.map((a) => a.id) },
      { kind: "send", user },
      localId(),
      { text: content, files: sent },
    );
  };

  const stop = () => {
    const before = getState().reply;
    if (before?.phase !== "streaming" || before.stopRequested) return;
    dispatch({ type: "reply/stop-requested" });
    const { conversationId, messageId } = before;
    if (messageId) {
      void api.stopReply(conversationId, messageId).catch((error) => {
        dispatch({ type: "reply/stop-failed", message: text(error) });
      });
    }
  };

  /** Shows another version of a message; focus stays on the switcher button that was pressed. */
  const showVersion = async (id: string, targetId: string, direction: "previous" | "next") => {
    try {
      const server = await api.switchBranch(id, targetId);
      dispatch({ type: "branch/shown", conversationId: id, messages: server.messages, targetId, direction });
    } catch (error) {
      dispatch({ type: "notice/shown", notice: `Could not switch versions: ${text(error)}` });
    }
  };

  /** Saves a reply's edited text as its new version. */
  const reviseReply = async (id: string, messageId: string, content: string) => {
    try {
      const server = await api.reviseReply(id, messageId, content);
      dispatch({ type: "reply/revised", conversationId: id, messages: server.messages });
    } catch (error) {
      dispatch({ type: "notice/shown", notice: `The edit was not saved: ${text(error)}` });
    }
  };

  const onAction = (action: MessageAction) => {
    const state = getState();
    const meta = state.meta;
    if (!meta) return;
    if (action.kind === "edit-start") return dispatch({ type: "edit/started", messageId: action.message.id });
    if (action.kind === "edit-cancel") return dispatch({ type: "edit/cancelled" });
    if (action.kind === "speak") {
      return dispatch({
        type: "speak/requested",
        reply: { id: action.message.id, text: action.message.content },
      });
    }
    if (isBusy(state)) return;
    if (action.kind === "regenerate") {
      const messageId = action.message?.id;
      void runReply(meta.id, { kind: "regenerate", messageId }, { kind: "regenerate", messageId }, localId());
    } else if (action.kind === "continue") {
      const messageId = action.message.id;
      void runReply(meta.id, { kind: "continue", messageId }, { kind: "continue", messageId }, messageId);
    } else if (action.kind === "switch") {
      void showVersion(meta.id, action.targetId, action.direction);
    } else if (action.message.role === "assistant") {
      void reviseReply(meta.id, action.message.id, action.content);
    } else {
      const { message, content } = action;
      const user: ChatMessage = { id: localId(), role: "user", content, status: "complete" };
      void runReply(
        meta.id,
        { kind: "edit", messageId: message.id, content },
        { kind: "edit", messageId: message.id, user },
        localId(),
      );
    }
  };

  return {
    hydrate() {
      dispatch({ type: "hydrated" });
      if (getState().view.kind !== "all") void refreshList();
      // Opening a conversation whose reply is still being written follows it to the end.
      const conversation = props.conversation;
      const last = conversation?.messages.at(-1);
      if (conversation && last?.role === "assistant" && last.status === "streaming") {
        void followLive(conversation.id, last);
      }
    },
    refreshList,
    changeQuery(query) {
      dispatch({ type: "query/changed", query });
      clearTimeout(filterTimer);
      filterTimer = setTimeout(() => refreshList(query), FILTER_DELAY_MS);
    },
    send,
    stop,
    onAction,
    async rename(id, title) {
      try {
        const updated = await api.updateConversation(id, { title });
        dispatch({ type: "conversation/renamed", id, title: updated.title });
      } catch (error) {
        dispatch({ type: "notice/shown", notice: `Rename failed: ${text(error)}` });
      }
    },
    async remove(id) {
      try {
        await api.deleteConversation(id);
      } catch (error) {
        if (!(error instanceof api.ApiError && error.code === "not_found")) {
          dispatch({ type: "notice/shown", notice: `Delete failed: ${text(error)}` });
          return;
        }
      }
      const open = getState().meta?.id === id;
      if (open) listening?.abort();
      dispatch({ type: "conversation/deleted", id });
      if (open) history.replaceState(null, "", "/");
    },
    async saveSettings(settings) {
      const current = getState().meta;
      if (!current) return dispatch({ type: "draft/saved", settings });
      try {
        const updated = await api.updateConversation(current.id, settings) as unknown as {
          systemPrompt: string;
          model: string | null;
        };
        dispatch({
          type: "settings/saved",
          conversationId: current.id,
          systemPrompt: updated.systemPrompt,
          model: updated.model,
        });
      } catch (error) {
        dispatch({ type: "notice/shown", notice: `Settings were not saved: ${text(error)}` });
      }
    },
    async revealBranch(hash) {
      const messageId = linkedMessageId(hash);
      const { meta } = getState();
      if (messageId === null || meta === null || isBusy(getState())) return;
      try {
        const shown = await api.switchBranch(meta.id, messageId);
        dispatch({ type: "branch/revealed", conversation: shown, hash });
      } catch { /* not a message of this conversation: stay at the latest */ }
    },
    async refreshVisible() {
      const { meta } = getState();
      if (!meta || isBusy(getState())) return;
      try {
        const server = await api.getConversation(meta.id);
        dispatch({ type: "conversation/refreshed", conversationId: meta.id, messages: server.messages });
        if (isBusy(getState()) || getState().meta?.id !== meta.id) return;
        const last = server.messages.at(-1);
        if (last?.role === "assistant" && last.status === "streaming") void followLive(meta.id, last);
      } catch { /* keep what is shown */ }
    },
    sendQueued() {
      const { reply, queue, ready } = getState();
      if (reply !== null || queue.length === 0 || !ready) return;
      dispatch({ type: "queue/taken" });
      void send({ spoken: queue[0].content });
    },
  };
}
