/**
 * The chat island's state in one place: {@link ChatState}, every change as a {@link ChatAction}
 * and {@link chatReducer}, a pure, synchronous function of the two. Effects (fetch, the reply
 * stream, focus, the URL) live in `chat_controller.ts` and `ChatApp`; they dispatch actions and
 * never change state otherwise. Guards that used to be scattered checks ("is this still the open
 * conversation?", "is a reply running?") are transitions here, so they are tested without a browser
 * (tests/components/chat_state_test.ts).
 */
import { replyAnnouncement } from "./announce.ts";
import type { ReplyEnd } from "./api.ts";
import type { QueuedMessage } from "./QueuedMessages.tsx";
import type { SpokenReply } from "../voice/use_voice.ts";
import type {
  AttachmentItem,
  ChatAppProps,
  ChatMessage,
  ConversationItem,
  FolderItem,
  ListView,
  OpenConversation,
} from "./types.ts";

/** A file in the composer; `id` is null while it uploads. */
export interface PendingAttachment {
  key: string;
  id: string | null;
  name: string;
  mimeType: string;
  size: number;
}

/** The open conversation without its messages (title, prompt, model). */
export type ConversationMeta = Omit<OpenConversation, "messages">;

/** Settings of a chat not created yet (the settings panel on `/`). */
export interface DraftSettings {
  systemPrompt: string;
  model: string | null;
}

/** What kind of reply streams: one this tab asked for, or one it follows (reload, another tab). */
export type ReplyKind = "run" | "follow";

/**
 * The reply lifecycle. `creating`: the conversation is being created before the first send.
 * `streaming`: text arrives (Stop works). `settling`: the stream ended and the conversation is read
 * back. Null: idle. The composer is busy whenever it is not null.
 */
export type ReplyState =
  | { phase: "creating" }
  | {
    phase: "streaming";
    kind: ReplyKind;
    conversationId: string;
    /** Id of the message the text grows in (a `local-…` id until read back, or the server's id). */
    replyId: string;
    /** The server's message id, null until the server names it. */
    messageId: string | null;
    /** Stop was pressed; sent to the server as soon as `messageId` is known. */
    stopRequested: boolean;
    /** Text received so far (for the announcement). */
    text: string;
    /** Messages shown before the reply began (put back when the request is refused). */
    before: ChatMessage[];
    /** Composer text to put back when the request is refused. */
    restoreText: string | null;
  }
  | {
    phase: "settling";
    kind: ReplyKind;
    /** This tab's reply that completed (for auto-speak), or null. */
    finished: SpokenReply | null;
  };

/** Something to focus once the next render is on screen. */
export type FocusRequest =
  | { kind: "composer" }
  | { kind: "edit-button"; messageId: string }
  | { kind: "branch"; messageId: string; direction: "previous" | "next" };

/** Something for the voice layer, done once the next render is on screen. */
export type VoiceRequest =
  | { kind: "speak"; reply: SpokenReply }
  /** A reply completed: spoken when auto-speak is on. */
  | { kind: "reply-done"; reply: SpokenReply };

/** Everything the chat island shows. */
export interface ChatState {
  /** True once hydrated (buttons are disabled before). */
  ready: boolean;
  /** Sidebar rows. */
  conversations: ConversationItem[];
  /** Cursor of the sidebar's next page, null when all are shown. */
  nextCursor: string | null;
  loadingMore: boolean;
  /** Sidebar title filter. */
  query: string;
  view: ListView;
  folders: FolderItem[];
  /** The open conversation; null on a new chat. */
  meta: ConversationMeta | null;
  /** Settings for the chat about to be created. */
  draft: DraftSettings;
  /** The draft's settings were saved by the user (a folder's model is no longer used). */
  draftTouched: boolean;
  /** Messages of the open conversation's shown branch. */
  messages: ChatMessage[];
  reply: ReplyState | null;
  /** Composer text. */
  text: string;
  /** Messages typed while a reply streams, sent in order once it ends. */
  queue: QueuedMessage[];
  /** Files waiting to be sent with the next message (`pending_files.ts` uploads them). */
  files: PendingAttachment[];
  /** Shown under the composer. */
  notice: string | null;
  /** Message whose inline editor is open. */
  editingId: string | null;
  sidebarOpen: boolean;
  settingsOpen: boolean;
  /** The view follows new text (the reader is at the bottom, or a reply just began). */
  follow: boolean;
  /** The reader is at the bottom ("↓ Latest" is hidden). */
  atBottom: boolean;
  /** Text of the polite live region: streaming state and the finished reply, never per token. */
  announcement: string;
  /** Files are dragged over the chat. */
  dragging: boolean;
  /** A `#m-<id>` link to reveal once its message is rendered. */
  pendingReveal: string | null;
  focus: FocusRequest | null;
  voiceRequest: VoiceRequest | null;
}

/** What a reply request shows before its text arrives. */
export type ReplyStart =
  | { kind: "send"; user: ChatMessage }
  | { kind: "regenerate"; messageId?: string }
  | { kind: "edit"; messageId: string; user: ChatMessage }
  | { kind: "continue"; messageId: string };

/** Every change of {@link ChatState}. */
export type ChatAction =
  | { type: "hydrated" }
  // Sidebar list, paging, filter, view, folders
  | {
    type: "list/loaded";
    query: string;
    view: ListView;
    items: ConversationItem[];
    nextCursor: string | null;
  }
  | { type: "list/more-started" }
  | { type: "list/more-loaded"; items: ConversationItem[]; nextCursor: string | null }
  | { type: "list/more-failed"; message: string }
  | { type: "query/changed"; query: string }
  | { type: "view/changed"; view: ListView }
  | { type: "folders/loaded"; folders: FolderItem[] }
  | { type: "folder/created"; folder: FolderItem }
  | { type: "folder/saved"; folder: FolderItem }
  | { type: "folder/deleted"; id: string }
  // Conversations
  | { type: "conversation/creating" }
  | { type: "conversation/created"; conversation: ConversationItem & DraftSettings }
  | { type: "conversation/create-failed"; message: string }
  | { type: "conversation/renamed"; id: string; title: string }
  | { type: "conversation/deleted"; id: string }
  | { type: "conversation/refreshed"; conversationId: string; messages: ChatMessage[] }
  | { type: "settings/saved"; conversationId: string; systemPrompt: string; model: string | null }
  | { type: "draft/saved"; settings: DraftSettings }
  // Branches and versions
  | { type: "branch/revealed"; conversation: OpenConversation; hash: string }
  | { type: "reveal/done" }
  | {
    type: "branch/shown";
    conversationId: string;
    messages: ChatMessage[];
    targetId: string;
    direction: "previous" | "next";
  }
  | { type: "reply/revised"; conversationId: string; messages: ChatMessage[] }
  // The reply
  | {
    type: "reply/started";
    conversationId: string;
    replyId: string;
    start: ReplyStart;
    /** Composer text to give back if the request is refused (sends only). */
    restoreText?: string;
  }
  | { type: "reply/followed"; conversationId: string; messageId: string }
  | { type: "reply/named"; messageId: string }
  | { type: "reply/token"; text: string }
  | { type: "reply/stop-requested" }
  | { type: "reply/stop-failed"; message: string }
  | { type: "reply/ended"; end: ReplyEnd }
  | { type: "reply/synced"; conversation: OpenConversation; end: ReplyEnd; errorId: string }
  | { type: "reply/settled" }
  // Composer, queue, editing
  | { type: "composer/changed"; text: string }
  | { type: "composer/inserted"; text: string }
  | { type: "queue/added"; id: string; content: string }
  | { type: "queue/cancelled"; id: string }
  | { type: "queue/taken" }
  | { type: "files/added"; file: PendingAttachment }
  | { type: "files/uploaded"; key: string; file: AttachmentItem }
  | { type: "files/failed"; key: string; notice: string }
  | { type: "files/removed"; key: string }
  | { type: "files/taken" }
  | { type: "files/restored"; files: PendingAttachment[] }
  | { type: "edit/started"; messageId: string }
  | { type: "edit/cancelled" }
  | { type: "notice/shown"; notice: string | null }
  // Panels, scrolling, focus
  | { type: "sidebar/opened" }
  | { type: "sidebar/closed" }
  | { type: "settings/toggled" }
  | { type: "settings/closed" }
  | { type: "scroll/moved"; atBottom: boolean }
  | { type: "scroll/jumped" }
  | { type: "drag/changed"; dragging: boolean }
  | { type: "focus/done" }
  | { type: "speak/requested"; reply: SpokenReply }
  | { type: "voice/done" };

/** The state the server renders with (and the island hydrates from). */
export function initialChatState(props: ChatAppProps): ChatState {
  return {
    ready: false,
    conversations: props.conversations,
    nextCursor: props.nextCursor ?? null,
    loadingMore: false,
    query: props.query,
    view: props.newChatFolderId ? { kind: "folder", id: props.newChatFolderId } : { kind: "all" },
    folders: props.folders ?? [],
    meta: props.conversation ? withoutMessages(props.conversation) : null,
    draft: { systemPrompt: "", model: null },
    draftTouched: false,
    messages: props.conversation?.messages ?? [],
    reply: null,
    text: "",
    queue: [],
    files: [],
    notice: null,
    editingId: null,
    sidebarOpen: false,
    settingsOpen: false,
    follow: true,
    atBottom: true,
    announcement: "",
    dragging: false,
    pendingReveal: null,
    focus: null,
    voiceRequest: null,
  };
}

/** A conversation's meta (everything but the messages). */
export function withoutMessages(c: OpenConversation): ConversationMeta {
  return { id: c.id, title: c.title, systemPrompt: c.systemPrompt, model: c.model };
}

/** The composer is busy: a conversation is being created or a reply streams or settles. */
export const isBusy = (s: ChatState): boolean => s.reply !== null;

/** A reply streams (Stop and Esc act on it). */
export const isStreaming = (s: ChatState): boolean => s.reply?.phase === "streaming";

/** Some file in the composer is still uploading (Send waits). */
export const filesUploading = (s: ChatState): boolean => s.files.some((p) => p.id === null);

/** The composer's uploaded files, as a message carries them. */
export function uploadedFiles(s: ChatState): AttachmentItem[] {
  return s.files.flatMap((p) =>
    p.id === null ? [] : [{ id: p.id, name: p.name, mimeType: p.mimeType, size: p.size }]
  );
}

/** Settings shown in the panel: the open conversation's, or the draft's. */
export const settingsOf = (s: ChatState): DraftSettings => s.meta ?? s.draft;

/** Index of the last user message (it gets Edit), or -1. */
export const lastUserIndex = (s: ChatState): number => s.messages.findLastIndex((m) => m.role === "user");

/** Index of the last message when it is a reply (it gets Regenerate), or -1. */
export function lastReplyIndex(s: ChatState): number {
  const n = s.messages.length;
  return n > 0 && s.messages[n - 1].role === "assistant" ? n - 1 : -1;
}

/** The parent of a new message: the last message shown, once it has a server id. */
export function parentOfNext(s: ChatState): string | undefined {
  const shown = s.messages.at(-1)?.id;
  return shown && !shown.startsWith("local-") ? shown : undefined;
}

/** Message status for a stream's end. */
export function endStatus(end: ReplyEnd): ChatMessage["status"] {
  if (end.kind === "done") return end.status === "stopped" ? "stopped" : "complete";
  return end.kind === "stopped" ? "stopped" : "error";
}

function prepare(messages: ChatMessage[], start: ReplyStart, replyId: string): ChatMessage[] {
  const slot: ChatMessage = { id: replyId, role: "assistant", content: "", status: "streaming" };
  switch (start.kind) {
    case "send":
      return [...messages, start.user, slot];
    case "regenerate": {
      const at = start.messageId === undefined
        ? messages.findLastIndex((m) => m.role === "user") + 1
        : messages.findIndex((m) => m.id === start.messageId);
      return [...messages.slice(0, at), slot];
    }
    case "edit":
      return [...messages.slice(0, messages.findIndex((m) => m.id === start.messageId)), start.user, slot];
    case "continue":
      // A continued reply grows in place.
      return messages.map((m) => m.id === start.messageId ? { ...m, status: "streaming" } : m);
  }
}

const isOpen = (s: ChatState, conversationId: string) => s.meta?.id === conversationId;

/** The transition for `action`; returns `state` itself when nothing changes. */
export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  const s = state;
  switch (action.type) {
    case "hydrated":
      return s.ready ? s : { ...s, ready: true };

    case "list/loaded":
      // An answer for an older filter or view than the one shown is dropped.
      if (action.query !== s.query || !sameView(action.view, s.view)) return s;
      return { ...s, conversations: action.items, nextCursor: action.nextCursor };
    case "list/more-started":
      return { ...s, loadingMore: true };
    case "list/more-loaded":
      return {
        ...s,
        loadingMore: false,
        conversations: [
          ...s.conversations,
          ...action.items.filter((c) => !s.conversations.some((o) => o.id === c.id)),
        ],
        nextCursor: action.nextCursor,
      };
    case "list/more-failed":
      return { ...s, loadingMore: false, notice: action.message };
    case "query/changed":
      return { ...s, query: action.query };
    case "view/changed":
      return { ...s, view: action.view };
    case "folders/loaded":
      return { ...s, folders: action.folders };
    case "folder/created":
      return { ...s, folders: [...s.folders, action.folder], view: { kind: "folder", id: action.folder.id } };
    case "folder/saved":
      return { ...s, folders: s.folders.map((f) => f.id === action.folder.id ? action.folder : f) };
    case "folder/deleted":
      return { ...s, folders: s.folders.filter((f) => f.id !== action.id), view: { kind: "all" } };

    case "conversation/creating":
      return s.reply ? s : { ...s, reply: { phase: "creating" } };
    case "conversation/created": {
      const c = action.conversation;
      return {
        ...s,
        meta: { id: c.id, title: c.title, systemPrompt: c.systemPrompt, model: c.model },
        conversations: [{ id: c.id, title: c.title, updatedAt: c.updatedAt }, ...s.conversations],
      };
    }
    case "conversation/create-failed":
      return { ...s, reply: null, notice: action.message };
    case "conversation/renamed":
      return {
        ...s,
        conversations: s.conversations.map((c) => c.id === action.id ? { ...c, title: action.title } : c),
        meta: s.meta && s.meta.id === action.id ? { ...s.meta, title: action.title } : s.meta,
      };
    case "conversation/deleted": {
      const conversations = s.conversations.filter((c) => c.id !== action.id);
      if (!isOpen(s, action.id)) return { ...s, conversations };
      return { ...s, conversations, meta: null, messages: [] };
    }
    case "conversation/refreshed":
      // What another tab did meanwhile; ignored while this tab's own reply runs.
      if (s.reply || !isOpen(s, action.conversationId)) return s;
      return { ...s, messages: action.messages };
    case "settings/saved":
      if (!isOpen(s, action.conversationId)) return { ...s, settingsOpen: false };
      return {
        ...s,
        meta: { ...s.meta!, systemPrompt: action.systemPrompt, model: action.model },
        settingsOpen: false,
      };
    case "draft/saved":
      return { ...s, draft: action.settings, draftTouched: true, settingsOpen: false };

    case "branch/revealed":
      if (!isOpen(s, action.conversation.id) || s.reply) return s;
      return {
        ...s,
        messages: action.conversation.messages,
        meta: withoutMessages(action.conversation),
        pendingReveal: action.hash,
        follow: false,
      };
    case "reveal/done":
      return { ...s, pendingReveal: null, follow: false };
    case "branch/shown":
      if (!isOpen(s, action.conversationId)) return s;
      return {
        ...s,
        messages: action.messages,
        focus: { kind: "branch", messageId: action.targetId, direction: action.direction },
      };
    case "reply/revised":
      if (!isOpen(s, action.conversationId)) return s;
      return { ...s, editingId: null, messages: action.messages };

    case "reply/started": {
      if (s.reply?.phase === "streaming" || s.reply?.phase === "settling") return s;
      const { start } = action;
      return {
        ...s,
        reply: {
          phase: "streaming",
          kind: "run",
          conversationId: action.conversationId,
          replyId: action.replyId,
          messageId: null,
          stopRequested: false,
          text: "",
          before: s.messages,
          restoreText: action.restoreText ?? null,
        },
        messages: prepare(s.messages, start, action.replyId),
        text: start.kind === "send" ? "" : s.text,
        notice: null,
        editingId: null,
        announcement: "Mini-Claude is writing a reply…",
        follow: true,
      };
    }
    case "reply/followed":
      if (s.reply) return s;
      return {
        ...s,
        reply: {
          phase: "streaming",
          kind: "follow",
          conversationId: action.conversationId,
          replyId: action.messageId,
          messageId: action.messageId,
          stopRequested: false,
          text: "",
          before: s.messages,
          restoreText: null,
        },
      };
    case "reply/named":
      if (s.reply?.phase !== "streaming") return s;
      return { ...s, reply: { ...s.reply, messageId: action.messageId } };
    case "reply/token": {
      const r = s.reply;
      if (r?.phase !== "streaming") return s;
      return {
        ...s,
        reply: { ...r, text: r.text + action.text },
        messages: s.messages.map((m) => m.id === r.replyId ? { ...m, content: m.content + action.text } : m),
      };
    }
    case "reply/stop-requested":
      if (s.reply?.phase !== "streaming" || s.reply.stopRequested) return s;
      return { ...s, reply: { ...s.reply, stopRequested: true } };
    case "reply/stop-failed":
      return {
        ...s,
        reply: s.reply?.phase === "streaming" ? { ...s.reply, stopRequested: false } : s.reply,
        notice: `Stop failed: ${action.message}`,
      };
    case "reply/ended": {
      const r = s.reply;
      if (r?.phase !== "streaming") return s;
      const { end } = action;
      const finished = r.kind === "run" && end.kind === "done" && end.status === "complete"
        ? { id: end.messageId ?? r.replyId, text: r.text }
        : null;
      const settling = { phase: "settling" as const, kind: r.kind, finished };
      // A followed reply is read back as it is; only this tab's own reply is announced.
      if (r.kind === "follow") return { ...s, reply: settling };
      const announcement = replyAnnouncement(end, r.text);
      if (end.kind === "error" && end.refused) {
        // Nothing was stored: put things back as they were and say why.
        return {
          ...s,
          reply: settling,
          announcement,
          messages: r.before,
          text: r.restoreText ?? s.text,
          notice: end.message,
        };
      }
      const status = endStatus(end);
      const error = end.kind === "error" ? end.message : undefined;
      return {
        ...s,
        reply: settling,
        announcement,
        messages: s.messages.map((m) => m.id === r.replyId ? { ...m, status, error } : m),
      };
    }
    case "reply/synced": {
      // The conversation as stored, so ids, statuses and the title match the server.
      const { conversation, end } = action;
      if (!isOpen(s, conversation.id)) return s;
      const messages = conversation.messages.map((m) =>
        end.kind === "error" && m.id === end.messageId ? { ...m, error: end.message } : m
      );
      if (end.kind === "error" && end.messageId === null) {
        messages.push({
          id: action.errorId,
          role: "assistant",
          content: "",
          status: "error",
          error: end.message,
        });
      }
      return { ...s, messages, meta: withoutMessages(conversation) };
    }
    case "reply/settled": {
      if (s.reply?.phase !== "settling") return s;
      // After this tab's own reply, typing goes on in the composer; a completed one may be spoken.
      const { kind, finished } = s.reply;
      return {
        ...s,
        reply: null,
        focus: kind === "run" ? { kind: "composer" } : s.focus,
        voiceRequest: finished ? { kind: "reply-done", reply: finished } : s.voiceRequest,
      };
    }

    case "composer/changed":
      return { ...s, text: action.text };
    case "composer/inserted":
      // Dictated text joins what is typed, and the composer gets focus to go on.
      return {
        ...s,
        text: s.text.trim() === "" ? action.text : `${s.text.trimEnd()} ${action.text}`,
        focus: { kind: "composer" },
      };
    case "queue/added":
      return { ...s, queue: [...s.queue, { id: action.id, content: action.content }], text: "" };
    case "queue/cancelled":
      return { ...s, queue: s.queue.filter((m) => m.id !== action.id) };
    case "queue/taken":
      return s.queue.length === 0 ? s : { ...s, queue: s.queue.slice(1) };
    case "files/added":
      return { ...s, files: [...s.files, action.file] };
    case "files/uploaded":
      return { ...s, files: s.files.map((p) => p.key === action.key ? { ...p, ...action.file } : p) };
    case "files/failed":
      return { ...s, files: s.files.filter((p) => p.key !== action.key), notice: action.notice };
    case "files/removed":
      return { ...s, files: s.files.filter((p) => p.key !== action.key) };
    case "files/taken":
      return s.files.length === 0 ? s : { ...s, files: [] };
    case "files/restored":
      // A refused send gives its files back, before any added since.
      return { ...s, files: [...action.files, ...s.files] };
    case "edit/started":
      return { ...s, editingId: action.messageId };
    case "edit/cancelled":
      // Back to the Edit button the editor came from.
      return {
        ...s,
        editingId: null,
        focus: { kind: "edit-button", messageId: s.editingId ?? "" },
      };
    case "notice/shown":
      return s.notice === action.notice ? s : { ...s, notice: action.notice };

    case "sidebar/opened":
      return s.sidebarOpen ? s : { ...s, sidebarOpen: true };
    case "sidebar/closed":
      return s.sidebarOpen ? { ...s, sidebarOpen: false } : s;
    case "settings/toggled":
      return { ...s, settingsOpen: !s.settingsOpen };
    case "settings/closed":
      return s.settingsOpen ? { ...s, settingsOpen: false } : s;
    case "scroll/moved":
      if (s.follow === action.atBottom && s.atBottom === action.atBottom) return s;
      return { ...s, follow: action.atBottom, atBottom: action.atBottom };
    case "scroll/jumped":
      return { ...s, follow: true, atBottom: true };
    case "drag/changed":
      return s.dragging === action.dragging ? s : { ...s, dragging: action.dragging };
    case "focus/done":
      return s.focus === null ? s : { ...s, focus: null };
    case "speak/requested":
      return { ...s, voiceRequest: { kind: "speak", reply: action.reply } };
    case "voice/done":
      return s.voiceRequest === null ? s : { ...s, voiceRequest: null };
  }
}

/** Two sidebar views are the same list. */
export function sameView(a: ListView, b: ListView): boolean {
  return a.kind === b.kind && (a.kind !== "folder" || a.id === (b as { id: string }).id);
}
