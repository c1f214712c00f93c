/**
 * The chat application: sidebar, conversation, composer and settings in one island, so they share
 * state without a store. The server renders it with the conversation from the database (readable
 * without JavaScript); in the browser it streams replies (fetch + SSE), keeps the URL and the
 * sidebar in step, and adds the keyboard shortcuts. Voice (speak, dictation, hands-free) comes
 * from `useVoice`.
 */
import type { VNode } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../components/chat/api.ts";
import { copyCodeBlock } from "../components/chat/clipboard.ts";
import { Composer } from "../components/chat/Composer.tsx";
import { type QueuedMessage, QueuedMessages } from "../components/chat/QueuedMessages.tsx";
import { type MessageAction, MessageView } from "../components/chat/MessageView.tsx";
import { AttachButton, PendingAttachments } from "../components/chat/Attachments.tsx";
import { answeringModel } from "../components/chat/models.ts";
import { conversationTokens, dropFiles } from "../components/chat/composer_files.ts";
import { useAttachments } from "../components/chat/use_attachments.ts";
import { SettingsPanel } from "../components/chat/SettingsPanel.tsx";
import { linkedMessageId, revealLinkedMessage } from "../components/chat/reveal.ts";
import { Sidebar } from "../components/chat/Sidebar.tsx";
import { UsageMeter } from "../components/chat/UsageMeter.tsx";
import { useOrganize } from "../components/chat/use_organize.ts";
import type {
  AttachmentItem,
  ChatAppProps,
  ChatMessage,
  ConversationItem,
  FolderItem,
  ListView,
  OpenConversation,
} from "../components/chat/types.ts";
import { type SpokenReply, useVoice } from "../components/voice/use_voice.ts";
import { MAX_MESSAGE_CHARS, tooLongMessage } from "../lib/chat/limits.ts";
import { replyAnnouncement } from "../components/chat/announce.ts";
import { trapTab } from "../components/chat/focus.ts";
import { HandsFreeBar, HandsFreeButton, MicButton, VoiceMenu } from "../components/voice/VoiceControls.tsx";
import ThemeToggle from "./ThemeToggle.tsx";
import { AccountMenu } from "../components/chat/AccountMenu.tsx";

type Meta = Omit<OpenConversation, "messages">;

/** The reply this tab is receiving: Stop asks the server to stop it (any tab, any instance). */
interface LiveReply {
  conversationId: string;
  /** Null until the server names it. */
  messageId: string | null;
  /** Stop was pressed before the id was known: stop as soon as it is. */
  stopRequested: boolean;
  /** Aborting stops listening only (the conversation was deleted). */
  listening: AbortController;
}

/** Distance from the bottom (px) within which the view follows new text. */
const STICK_PX = 48;
let localIds = 0;
const localId = () => `local-${++localIds}`;

/** The whole chat UI. */
export default function ChatApp(props: ChatAppProps): VNode {
  const [ready, setReady] = useState(false);
  const [conversations, setConversations] = useState<ConversationItem[]>(props.conversations);
  const [query, setQuery] = useState(props.query);
  const [folders, setFolders] = useState<FolderItem[]>(props.folders ?? []);
  const [view, setView] = useState<ListView>(
    props.newChatFolderId ? { kind: "folder", id: props.newChatFolderId } : { kind: "all" },
  );
  const [nextCursor, setNextCursor] = useState<string | null>(props.nextCursor ?? null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [meta, setMeta] = useState<Meta | null>(
    props.conversation ? withoutMessages(props.conversation) : null,
  );
  const [draft, setDraft] = useState({ systemPrompt: "", model: null as string | null });
  const [messages, setMessages] = useState<ChatMessage[]>(props.conversation?.messages ?? []);
  const [busy, setBusy] = useState(false);
  const [text, setText] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [atBottom, setAtBottom] = useState(true);
  /** Text of the polite live region: streaming state and the finished reply, never per token. */
  const [announcement, setAnnouncement] = useState("");
  const [dragging, setDragging] = useState(false);
  const [queue, setQueue] = useState<QueuedMessage[]>([]);

  const inputRef = useRef<HTMLTextAreaElement>(null);
  const scrollRef = useRef<HTMLElement>(null);
  const menuRef = useRef<HTMLButtonElement>(null);
  const stick = useRef(true);
  const live = useRef<LiveReply | null>(null);
  const latest = useRef({ meta, messages, busy, query, view, editingId, sidebarOpen });
  latest.current = { meta, messages, busy, query, view, editingId, sidebarOpen };

  useEffect(() => {
    setReady(true);
    if (latest.current.view.kind !== "all") void refreshList();
  }, []);
  // A search result links to `#m-<message id>`: show that message instead of the latest one. A
  // message on another branch is brought on screen first (the branch switch is stored, as with ‹ ›).
  const pendingReveal = useRef<string | null>(null);
  useEffect(() => {
    const reveal = async () => {
      if (revealLinkedMessage(location.hash)) {
        stick.current = false;
        return;
      }
      const messageId = linkedMessageId(location.hash);
      const open = latest.current.meta;
      if (messageId === null || open === null || latest.current.busy) return;
      try {
        const shown = await api.switchBranch(open.id, messageId);
        pendingReveal.current = location.hash;
        stick.current = false;
        setMessages(shown.messages);
        setMeta(withoutMessages(shown));
      } catch { /* not a message of this conversation: stay at the latest */ }
    };
    void reveal();
    const onHash = () => void reveal();
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    if (pendingReveal.current !== null && revealLinkedMessage(pendingReveal.current)) {
      pendingReveal.current = null;
    }
  }, [messages]);
  // The tab title follows the conversation's title (the server renders the first one).
  useEffect(() => {
    if (ready) document.title = meta?.title ? `${meta.title} · Mini-Claude` : "Mini-Claude";
  }, [ready, meta?.title]);

  const closeSidebar = () => setSidebarOpen(false);
  // While the drawer is open, the page behind it is inert and Tab cycles inside the drawer; when it
  // closes (the page is no longer inert by then), focus goes back to the button that opened it.
  useEffect(() => {
    if (!sidebarOpen) return;
    const sidebar = document.getElementById("sidebar");
    sidebar?.querySelector<HTMLElement>(".sidebar-close")?.focus();
    const onKey = (e: KeyboardEvent) => sidebar && trapTab(sidebar, e);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      const active = document.activeElement;
      if (!active || active === document.body || sidebar?.contains(active)) menuRef.current?.focus();
    };
  }, [sidebarOpen]);

  const voice = useVoice({
    config: props.voice ?? { provider: "browser", defaultVoiceId: null },
    insertText: (t) => {
      setText((prev) => prev.trim() === "" ? t : `${prev.trimEnd()} ${t}`);
      setTimeout(() => inputRef.current?.focus());
    },
    send: (t) => send(t),
    stopReply: () => stop(),
  });
  const voiceRef = useRef(voice);
  voiceRef.current = voice;

  const answering = answeringModel(props.model, (meta ?? draft).model);
  const modelLabel = answering?.label ?? (meta ?? draft).model;
  const files = useAttachments({
    accepts: answering?.accepts ?? [],
    modelLabel,
    notify: setNotice,
  });

  // Follow the text while the reader is at the bottom; stop when they scroll up.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages]);
  // The view also stays at the bottom when it shrinks (the usage meter or a notice appears below it).
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const onScroll = () => {
    const el = scrollRef.current!;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX;
    stick.current = bottom;
    if (bottom !== atBottom) setAtBottom(bottom);
  };
  const jumpToLatest = () => {
    const el = scrollRef.current!;
    stick.current = true;
    el.scrollTop = el.scrollHeight;
    setAtBottom(true);
  };

  const refreshList = async (q = latest.current.query, v = latest.current.view) => {
    try {
      const page = await api.listView(v, q);
      setConversations(page.items);
      setNextCursor(page.nextCursor);
    } catch { /* the list stays as it was */ }
  };

  /** Reads the conversation back after a reply so ids, statuses and the title match the server. */
  const sync = async (id: string, end: api.ReplyEnd) => {
    let server: OpenConversation | null = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        server = await api.getConversation(id);
      } catch {
        return;
      }
      if (!server.messages.some((m) => m.status === "streaming")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!server || latest.current.meta?.id !== id) return;
    const list = server.messages.map((m) =>
      end.kind === "error" && m.id === end.messageId ? { ...m, error: end.message } : m
    );
    if (end.kind === "error" && end.messageId === null) {
      list.push({ id: localId(), role: "assistant", content: "", status: "error", error: end.message });
    }
    setMessages(list);
    setMeta(withoutMessages(server));
  };

  /** Starts receiving a reply; the returned watch feeds `onToken` and handles an early Stop. */
  const beginLive = (conversationId: string, messageId: string | null, onToken: (t: string) => void) => {
    const reply: LiveReply = {
      conversationId,
      messageId,
      stopRequested: false,
      listening: new AbortController(),
    };
    live.current = reply;
    const watch: api.ReplyWatch = {
      onToken,
      onStart: (id) => {
        reply.messageId = id;
        if (reply.stopRequested) void api.stopReply(conversationId, id).catch(() => {});
      },
      signal: reply.listening.signal,
    };
    return watch;
  };

  /** Follows a reply that was already being written when this page opened (reload, another tab). */
  const followLive = async (conversationId: string, message: ChatMessage) => {
    if (latest.current.busy) return;
    setBusy(true);
    const watch = beginLive(conversationId, message.id, (piece) => {
      setMessages((ms) => ms.map((m) => m.id === message.id ? { ...m, content: m.content + piece } : m));
    });
    const end = await api.followReply(conversationId, message.id, api.codePoints(message.content), watch);
    live.current = null;
    await sync(conversationId, end);
    await refreshList();
    setBusy(false);
  };

  /** Streams one reply: `prepare` gives the messages shown before the reply starts. */
  const runReply = async (
    id: string,
    request: api.ReplyRequest,
    prepare: (messages: ChatMessage[]) => ChatMessage[],
    restoreText?: string,
    into?: string,
    restoreFiles?: AttachmentItem[],
  ): Promise<SpokenReply | null> => {
    const before = latest.current.messages;
    // A continued reply grows in place; any other reply is a new message at the end.
    const replyId = into ?? localId();
    setBusy(true);
    setNotice(null);
    setEditingId(null);
    setAnnouncement("Mini-Claude is writing a reply…");
    stick.current = true;
    setMessages(
      into
        ? prepare(before).map((m) => m.id === into ? { ...m, status: "streaming" } : m)
        : [...prepare(before), { id: replyId, role: "assistant", content: "", status: "streaming" }],
    );
    let replyText = "";
    const watch = beginLive(id, null, (piece) => {
      replyText += piece;
      setMessages((ms) => ms.map((m) => m.id === replyId ? { ...m, content: m.content + piece } : m));
    });
    const end = await api.streamReply(id, request, watch);
    live.current = null;
    setAnnouncement(replyAnnouncement(end, replyText));
    if (end.kind === "error" && end.refused) {
      // Nothing was stored: put things back as they were and say why.
      setMessages(before);
      if (restoreText !== undefined) setText(restoreText);
      if (restoreFiles?.length) files.restore(restoreFiles);
      setNotice(end.message);
    } else {
      const status = end.kind === "done"
        ? (end.status === "stopped" ? "stopped" : "complete")
        : end.kind === "stopped"
        ? "stopped"
        : "error";
      setMessages((ms) =>
        ms.map((m) =>
          m.id === replyId ? { ...m, status, error: end.kind === "error" ? end.message : undefined } : m
        )
      );
      await sync(id, end);
      await refreshList();
    }
    setBusy(false);
    setTimeout(() => inputRef.current?.focus());
    if (end.kind !== "done" || end.status !== "complete") return null;
    const reply = { id: end.messageId ?? replyId, text: replyText };
    voiceRef.current.replyDone(reply);
    return reply;
  };

  /**
   * Sends the composer's text (or `spoken`, from hands-free); resolves with the finished reply.
   * While a reply streams, typed text is queued instead and sent when the reply ends.
   */
  const send = async (spoken?: string): Promise<SpokenReply | null> => {
    const content = spoken ?? text;
    const withFiles = spoken === undefined && files.items.length > 0;
    if (content.trim() === "" && !withFiles) return null;
    if (content.length > MAX_MESSAGE_CHARS) {
      // Refused here, before a conversation is created or a message queued (the server would refuse it too).
      setNotice(tooLongMessage(content.length));
      return null;
    }
    if (latest.current.busy) {
      // Only text is queued; files stay in the composer until the reply has ended.
      if (spoken !== undefined || content.trim() === "") return null;
      setQueue((q) => [...q, { id: localId(), content }]);
      setText("");
      return null;
    }
    if (withFiles && files.uploading) {
      setNotice("Wait until the files have finished uploading.");
      return null;
    }
    let id = latest.current.meta?.id;
    if (!id) {
      setBusy(true);
      try {
        const created = await api.createConversation({
          systemPrompt: draft.systemPrompt || undefined,
          model: props.newChatFolderId && !draftTouched.current ? undefined : draft.model,
          folderId: props.newChatFolderId ?? undefined,
        });
        id = created.id;
        setMeta({ id, title: created.title, systemPrompt: created.systemPrompt, model: created.model });
        latest.current.meta = {
          id,
          title: created.title,
          systemPrompt: created.systemPrompt,
          model: created.model,
        };
        setConversations((
          list,
        ) => [{ id: created.id, title: created.title, updatedAt: created.updatedAt }, ...list]);
        history.replaceState(null, "", `/c/${id}`);
      } catch (error) {
        setBusy(false);
        setNotice(error instanceof Error ? error.message : String(error));
        return null;
      }
    }
    setText("");
    const sent = withFiles ? files.take() : [];
    const user: ChatMessage = {
      id: localId(),
      role: "user",
      content,
      status: "complete",
      ...(sent.length ? { attachments: sent } : {}),
    };
    // Answer under the last message shown, even if another tab switched the stored branch meanwhile.
    const shown = latest.current.messages.at(-1)?.id;
    const parentId = shown && !shown.startsWith("local-") ? shown : undefined;
    return await runReply(
      id,
      { kind: "send", content, parentId, attachmentIds: sent.map((a) => a.id) },
      (ms) => [...ms, user],
      content,
      undefined,
      sent,
    );
  };

  /** Stop: the server stops the reply; this tab sees it end as `stopped` on its stream. */
  const stop = () => {
    const reply = live.current;
    if (!reply || reply.stopRequested) return;
    reply.stopRequested = true;
    if (reply.messageId) {
      void api.stopReply(reply.conversationId, reply.messageId).catch((error) => {
        reply.stopRequested = false;
        setNotice(`Stop failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  };

  // A queued message is sent once the reply before it has ended.
  useEffect(() => {
    if (busy || queue.length === 0 || !ready) return;
    const [next, ...rest] = queue;
    setQueue(rest);
    void send(next.content);
  }, [busy, queue, ready]);

  // Opening a conversation whose reply is still being written follows it to the end.
  useEffect(() => {
    const conversation = props.conversation;
    const last = conversation?.messages.at(-1);
    if (conversation && last?.role === "assistant" && last.status === "streaming") {
      void followLive(conversation.id, last);
    }
  }, []);

  // Back in a tab that was in the background or unfocused: show what happened meanwhile (another
  // tab's reply, which it then follows live).
  useEffect(() => {
    const onVisible = async () => {
      const { meta, busy } = latest.current;
      if (document.visibilityState !== "visible" || !meta || busy) return;
      try {
        const server = await api.getConversation(meta.id);
        if (latest.current.busy || latest.current.meta?.id !== meta.id) return;
        setMessages(server.messages);
        const last = server.messages.at(-1);
        if (last?.role === "assistant" && last.status === "streaming") void followLive(meta.id, last);
      } catch { /* keep what is shown */ }
    };
    document.addEventListener("visibilitychange", onVisible);
    globalThis.addEventListener("focus", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      globalThis.removeEventListener("focus", onVisible);
    };
  }, []);

  const onAction = useCallback((action: MessageAction) => {
    const { meta, busy } = latest.current;
    if (!meta) return;
    if (action.kind === "edit-start") return setEditingId(action.message.id);
    if (action.kind === "edit-cancel") {
      // Back to the Edit button the editor came from.
      const id = latest.current.editingId;
      setEditingId(null);
      const message = `[data-message-id="${CSS.escape(id ?? "")}"]`;
      setTimeout(() =>
        scrollRef.current?.querySelector<HTMLElement>(`${message} .edit-message, ${message} .edit-reply`)
          ?.focus()
      );
      return;
    }
    if (action.kind === "speak") {
      return voiceRef.current.toggleSpeak({ id: action.message.id, text: action.message.content });
    }
    if (busy) return;
    if (action.kind === "regenerate") {
      const reply = action.message;
      void runReply(
        meta.id,
        { kind: "regenerate", messageId: reply?.id },
        (ms) =>
          reply
            ? ms.slice(0, ms.findIndex((m) => m.id === reply.id))
            : ms.slice(0, ms.findLastIndex((m) => m.role === "user") + 1),
      );
    } else if (action.kind === "continue") {
      void runReply(
        meta.id,
        { kind: "continue", messageId: action.message.id },
        (ms) => ms,
        undefined,
        action.message.id,
      );
    } else if (action.kind === "switch") {
      void showVersion(meta.id, action.targetId, action.direction);
    } else if (action.message.role === "assistant") {
      void reviseReply(meta.id, action.message.id, action.content);
    } else {
      const { message, content } = action;
      void runReply(meta.id, { kind: "edit", messageId: message.id, content }, (ms) => [
        ...ms.slice(0, ms.findIndex((m) => m.id === message.id)),
        { id: localId(), role: "user", content, status: "complete" },
      ]);
    }
  }, []);

  /** Shows another version of a message; focus stays on the switcher button that was pressed. */
  const showVersion = async (id: string, targetId: string, direction: "previous" | "next") => {
    try {
      const server = await api.switchBranch(id, targetId);
      if (latest.current.meta?.id !== id) return;
      setMessages(server.messages);
      setTimeout(() => {
        const group = document.querySelector(`[data-message-id="${targetId}"] .branch-switcher`);
        const same = group?.querySelector<HTMLButtonElement>(`.branch-${direction}:not(:disabled)`);
        (same ?? group?.querySelector<HTMLButtonElement>("button:not(:disabled)"))?.focus();
      });
    } catch (error) {
      setNotice(`Could not switch versions: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  /** Saves a reply's edited text as its new version. */
  const reviseReply = async (id: string, messageId: string, content: string) => {
    try {
      const server = await api.reviseReply(id, messageId, content);
      if (latest.current.meta?.id !== id) return;
      setEditingId(null);
      setMessages(server.messages);
    } catch (error) {
      setNotice(`The edit was not saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const rename = async (id: string, title: string) => {
    try {
      const updated = await api.updateConversation(id, { title });
      setConversations((list) => list.map((c) => c.id === id ? { ...c, title: updated.title } : c));
      if (latest.current.meta?.id === id) setMeta((m) => m && { ...m, title: updated.title });
    } catch (error) {
      setNotice(`Rename failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const remove = async (id: string) => {
    try {
      await api.deleteConversation(id);
    } catch (error) {
      if (!(error instanceof api.ApiError && error.code === "not_found")) {
        setNotice(`Delete failed: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
    setConversations((list) => list.filter((c) => c.id !== id));
    if (latest.current.meta?.id === id) {
      live.current?.listening.abort();
      setMeta(null);
      setMessages([]);
      history.replaceState(null, "", "/");
    }
  };

  const draftTouched = useRef(false);
  const organize = useOrganize({
    folders,
    setFolders,
    view,
    setView,
    nextCursor,
    setNextCursor,
    loadingMore,
    setLoadingMore,
    setConversations,
    refreshList,
    models: props.model,
    query: () => latest.current.query,
    notify: setNotice,
  });

  const filterTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onQuery = (q: string) => {
    setQuery(q);
    clearTimeout(filterTimer.current);
    filterTimer.current = setTimeout(() => refreshList(q), 150);
  };

  const saveSettings = async (settings: { systemPrompt: string; model: string | null }) => {
    const current = latest.current.meta;
    if (!current) {
      draftTouched.current = true;
      setDraft(settings);
      setSettingsOpen(false);
      return;
    }
    try {
      const updated = await api.updateConversation(current.id, settings) as unknown as Meta;
      setMeta((m) => m && { ...m, systemPrompt: updated.systemPrompt, model: updated.model });
      setSettingsOpen(false);
    } catch (error) {
      setNotice(`Settings were not saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  // Keyboard shortcuts: Ctrl/Cmd+Shift+O new chat, "/" or Shift+Esc focus the composer, Esc stops.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = !!target &&
        (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === "o") {
        e.preventDefault();
        location.assign("/");
      } else if (e.key === "Escape" && e.shiftKey) {
        e.preventDefault();
        inputRef.current?.focus();
      } else if (e.key === "Escape") {
        if (live.current) {
          e.preventDefault();
          stop();
        } else if (latest.current.sidebarOpen) closeSidebar();
      } else if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        inputRef.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const lastReply = messages.length > 0 && messages[messages.length - 1].role === "assistant"
    ? messages.length - 1
    : -1;
  const settings = meta ?? draft;
  const tokens = conversationTokens(messages);

  return (
    <div class={sidebarOpen ? "app sidebar-open" : "app"}>
      <Sidebar
        conversations={conversations}
        activeId={meta?.id ?? null}
        query={query}
        ready={ready}
        open={sidebarOpen}
        onQuery={onQuery}
        onRename={rename}
        onDelete={remove}
        onClose={closeSidebar}
        organize={organize}
      />
      {sidebarOpen && <div class="backdrop" aria-hidden="true" onClick={closeSidebar} />}
      <div
        class={dragging ? "main dragging" : "main"}
        inert={sidebarOpen}
        onDragOver={(e) => {
          if (!e.dataTransfer?.types.includes("Files") || !ready || busy) return;
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={(e) => {
          if (e.currentTarget === e.target) setDragging(false);
        }}
        onDrop={(e) => {
          setDragging(false);
          const dropped = dropFiles(e);
          if (dropped.length && ready && !busy) files.add(dropped);
        }}
      >
        <header class="topbar">
          <button
            ref={menuRef}
            type="button"
            class="icon-button menu-toggle"
            aria-label="Show conversations"
            aria-controls="sidebar"
            aria-expanded={sidebarOpen ? "true" : "false"}
            disabled={!ready}
            onClick={() => setSidebarOpen(true)}
          >
            ☰
          </button>
          <h1 class="chat-title" title={meta?.title} dir="auto">{meta?.title ?? "New chat"}</h1>
          {modelLabel && (
            <span class="model-badge" title="The model that writes the replies">{modelLabel}</span>
          )}
          {tokens > 0 && (
            <span
              class="conversation-usage"
              title="Tokens of all replies in this conversation (prompt + reply)"
            >
              {tokens.toLocaleString("en")} tokens
            </span>
          )}
          <VoiceMenu voice={voice} ready={ready} />
          <button
            type="button"
            class="icon-button settings-toggle"
            aria-label="Conversation settings"
            aria-controls="settings"
            aria-expanded={settingsOpen ? "true" : "false"}
            disabled={!ready}
            onClick={() => setSettingsOpen(!settingsOpen)}
          >
            ⚙
          </button>
          <ThemeToggle initial={props.theme} />
          <AccountMenu account={props.account} />
        </header>
        {props.model.unavailableMessage && (
          <div class="banner banner-warning" role="status">{props.model.unavailableMessage}</div>
        )}
        {settingsOpen && (
          <SettingsPanel
            key={meta?.id ?? "new"}
            systemPrompt={settings.systemPrompt}
            model={settings.model}
            models={props.model}
            saved={meta !== null}
            conversationId={meta?.id}
            onSave={saveSettings}
            onClose={() => setSettingsOpen(false)}
          />
        )}
        <main class="conversation" id="conversation" ref={scrollRef} onScroll={onScroll} tabIndex={0}>
          {messages.length === 0
            ? (
              <div class="empty-state">
                <h2>How can I help you today?</h2>
                <p>
                  {modelLabel ? `Chatting with ${modelLabel}.` : "Start a conversation below."}
                </p>
                {props.model.demo && <DemoModelNote />}
              </div>
            )
            : (
              <ol class="messages" aria-label="Messages" onClick={copyCodeBlock}>
                {messages.map((m, i) => (
                  <MessageView
                    key={m.id}
                    message={m}
                    lastUser={i === lastUser}
                    lastReply={i === lastReply}
                    busy={busy}
                    editing={m.id === editingId}
                    ready={ready}
                    canSpeak={voice.canSpeak}
                    speakUnavailable={voice.speakUnavailable}
                    speaking={m.id === voice.speakingId}
                    onAction={onAction}
                  />
                ))}
              </ol>
            )}
        </main>
        {!atBottom && (
          <button type="button" class="button jump-latest" onClick={jumpToLatest}>↓ Latest</button>
        )}
        <HandsFreeBar voice={voice} />
        <QueuedMessages queue={queue} onCancel={(id) => setQueue((q) => q.filter((m) => m.id !== id))} />
        <Composer
          text={text}
          busy={busy}
          ready={ready}
          inputRef={inputRef}
          notice={notice ?? voice.notice}
          onText={setText}
          onSend={() => void send()}
          onStop={stop}
          above={<PendingAttachments items={files.items} onRemove={files.remove} />}
          canSendEmpty={files.items.length > 0}
          onPaste={(e) => {
            const pasted = Array.from(e.clipboardData?.files ?? []);
            if (pasted.length === 0) return;
            e.preventDefault();
            files.add(pasted);
          }}
          tools={
            <>
              <AttachButton disabled={!ready || busy} onFiles={files.add} />
              <MicButton voice={voice} ready={ready} busy={busy} />
              <HandsFreeButton voice={voice} ready={ready} busy={busy} />
            </>
          }
        />
        <UsageMeter busy={busy} ready={ready} />
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
          {announcement}
        </div>
        <audio class="voice-audio" ref={voice.audioRef} preload="none" />
      </div>
    </div>
  );
}

/** What a new user with only the committed tiny model needs to know. */
function DemoModelNote(): VNode {
  return (
    <p class="demo-note">
      <strong>The tiny local model is a demonstration.</strong>{" "}
      It was trained in minutes on this machine and writes text that looks like English without answering. To
      chat with a real model, set <code>GEMINI_API_KEY</code>{" "}
      (a free key from Google AI Studio) and restart the server; see the README's configuration table.
    </p>
  );
}

function withoutMessages(c: OpenConversation): Meta {
  return { id: c.id, title: c.title, systemPrompt: c.systemPrompt, model: c.model };
}
