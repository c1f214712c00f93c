/**
 * The chat application: sidebar, conversation, composer and settings in one island. The server
 * renders it with the conversation from the database (readable without JavaScript); in the browser
 * it streams replies (fetch + SSE), keeps the URL and the sidebar in step, and adds the keyboard
 * shortcuts. Voice (speak, dictation, hands-free) comes from `useVoice`.
 *
 * State lives in one store (`components/chat/state.ts`: every change is a dispatched action); the
 * API work is `components/chat/chat_controller.ts`. This component renders the state and holds the
 * DOM effects: scrolling, focus, the drawer's focus trap, document listeners.
 */
import type { VNode } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { copyCodeBlock } from "../components/chat/clipboard.ts";
import { Composer } from "../components/chat/Composer.tsx";
import { QueuedMessages } from "../components/chat/QueuedMessages.tsx";
import { messageElementId, MessageView } from "../components/chat/MessageView.tsx";
import { AttachButton, PendingAttachments } from "../components/chat/Attachments.tsx";
import { answeringModel } from "../components/chat/models.ts";
import { conversationTokens, dropFiles } from "../components/chat/composer_files.ts";
import { addFiles, removeFile } from "../components/chat/pending_files.ts";
import { SettingsPanel } from "../components/chat/SettingsPanel.tsx";
import { revealLinkedMessage } from "../components/chat/reveal.ts";
import { Sidebar } from "../components/chat/Sidebar.tsx";
import { UsageMeter } from "../components/chat/UsageMeter.tsx";
import { organizeActions, organizeProps } from "../components/chat/organize.ts";
import type { ChatAppProps } from "../components/chat/types.ts";
import {
  chatReducer,
  type FocusRequest,
  initialChatState,
  isBusy,
  isStreaming,
  lastReplyIndex,
  lastUserIndex,
  settingsOf,
} from "../components/chat/state.ts";
import { createStore, useStore } from "../components/chat/store.ts";
import { createChatController } from "../components/chat/chat_controller.ts";
import { useVoice } from "../components/voice/use_voice.ts";
import { trapTab } from "../components/chat/focus.ts";
import { HandsFreeBar, HandsFreeButton, MicButton, VoiceMenu } from "../components/voice/VoiceControls.tsx";
import ThemeToggle from "./ThemeToggle.tsx";
import { AccountMenu } from "../components/chat/AccountMenu.tsx";

/** Distance from the bottom (px) within which the view follows new text. */
const STICK_PX = 48;

/** The whole chat UI. */
export default function ChatApp(props: ChatAppProps): VNode {
  const [store] = useState(() => createStore(chatReducer, initialChatState(props)));
  const { dispatch } = store;
  const state = useStore(store);
  const voice = useVoice({
    config: props.voice ?? { provider: "browser", defaultVoiceId: null },
    insertText: (text) => dispatch({ type: "composer/inserted", text }),
    send: (spoken) => chat.send({ spoken }),
    stopReply: () => chat.stop(),
  });
  const [chat] = useState(() => createChatController(store, props));
  const [organize] = useState(() => organizeActions(store, chat.refreshList));

  const {
    ready,
    conversations,
    query,
    meta,
    messages,
    text,
    notice,
    editingId,
    sidebarOpen,
    settingsOpen,
    atBottom,
    announcement,
    dragging,
    queue,
  } = state;
  const busy = isBusy(state);

  const inputRef = useRef<HTMLTextAreaElement>(null);
  const scrollRef = useRef<HTMLElement>(null);
  const menuRef = useRef<HTMLButtonElement>(null);

  useEffect(() => chat.hydrate(), []);
  // A search result links to `#m-<message id>`: show that message instead of the latest one. A
  // message on another branch is brought on screen first (the branch switch is stored, as with ‹ ›).
  useEffect(() => {
    const reveal = () => {
      if (revealLinkedMessage(location.hash)) dispatch({ type: "reveal/done" });
      else void chat.revealBranch(location.hash);
    };
    reveal();
    addEventListener("hashchange", reveal);
    return () => removeEventListener("hashchange", reveal);
  }, []);
  useEffect(() => {
    if (state.pendingReveal !== null && revealLinkedMessage(state.pendingReveal)) {
      dispatch({ type: "reveal/done" });
    }
  }, [messages]);
  // The tab title follows the conversation's title (the server renders the first one).
  useEffect(() => {
    if (ready) document.title = meta?.title ? `${meta.title} · Mini-Claude` : "Mini-Claude";
  }, [ready, meta?.title]);

  const closeSidebar = () => dispatch({ type: "sidebar/closed" });
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

  // Focus asked for by a transition (after a reply, after Esc in an editor, after a version switch),
  // once the render that shows its target is on screen.
  useEffect(() => {
    if (state.focus === null) return;
    focusTarget(state.focus, inputRef.current, scrollRef.current);
    dispatch({ type: "focus/done" });
  }, [state.focus]);

  // Speak pressed, or a reply completed (auto-speak): handed to this render's voice layer.
  useEffect(() => {
    const request = state.voiceRequest;
    if (request === null) return;
    if (request.kind === "speak") voice.toggleSpeak(request.reply);
    else voice.replyDone(request.reply);
    dispatch({ type: "voice/done" });
  }, [state.voiceRequest]);

  const answering = answeringModel(props.model, settingsOf(state).model);
  const modelLabel = answering?.label ?? settingsOf(state).model;
  const reader = { accepts: answering?.accepts ?? [], modelLabel };
  const addToComposer = (list: readonly File[]) => addFiles(store, list, reader);

  // Follow the text while the reader is at the bottom; stop when they scroll up.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && store.getState().follow) el.scrollTop = el.scrollHeight;
  }, [messages]);
  // The view also stays at the bottom when it shrinks (the usage meter or a notice appears below it).
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (store.getState().follow) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const onScroll = () => {
    const el = scrollRef.current!;
    dispatch({
      type: "scroll/moved",
      atBottom: el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX,
    });
  };
  const jumpToLatest = () => {
    const el = scrollRef.current!;
    dispatch({ type: "scroll/jumped" });
    el.scrollTop = el.scrollHeight;
  };

  // A queued message is sent once the reply before it has ended.
  useEffect(() => chat.sendQueued(), [busy, queue, ready]);

  // Back in a tab that was in the background or unfocused: show what happened meanwhile (another
  // tab's reply, which it then follows live).
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === "visible") void chat.refreshVisible();
    };
    document.addEventListener("visibilitychange", onVisible);
    globalThis.addEventListener("focus", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      globalThis.removeEventListener("focus", onVisible);
    };
  }, []);

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
        if (isStreaming(store.getState())) {
          e.preventDefault();
          chat.stop();
        } else closeSidebar();
      } else if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        inputRef.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const lastUser = lastUserIndex(state);
  const lastReply = lastReplyIndex(state);
  const settings = settingsOf(state);
  const tokens = conversationTokens(messages);

  return (
    <div class={sidebarOpen ? "app sidebar-open" : "app"}>
      <Sidebar
        conversations={conversations}
        activeId={meta?.id ?? null}
        query={query}
        ready={ready}
        open={sidebarOpen}
        onQuery={chat.changeQuery}
        onRename={chat.rename}
        onDelete={chat.remove}
        onClose={closeSidebar}
        organize={organizeProps(state, props.model, organize)}
      />
      {sidebarOpen && <div class="backdrop" aria-hidden="true" onClick={closeSidebar} />}
      <div
        class={dragging ? "main dragging" : "main"}
        inert={sidebarOpen}
        onDragOver={(e) => {
          if (!e.dataTransfer?.types.includes("Files") || !ready || busy) return;
          e.preventDefault();
          dispatch({ type: "drag/changed", dragging: true });
        }}
        onDragLeave={(e) => {
          if (e.currentTarget === e.target) dispatch({ type: "drag/changed", dragging: false });
        }}
        onDrop={(e) => {
          dispatch({ type: "drag/changed", dragging: false });
          const dropped = dropFiles(e);
          if (dropped.length && ready && !busy) addToComposer(dropped);
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
            onClick={() => dispatch({ type: "sidebar/opened" })}
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
            onClick={() => dispatch({ type: "settings/toggled" })}
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
            onSave={chat.saveSettings}
            onClose={() => dispatch({ type: "settings/closed" })}
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
                    onAction={chat.onAction}
                  />
                ))}
              </ol>
            )}
        </main>
        {!atBottom && (
          <button type="button" class="button jump-latest" onClick={jumpToLatest}>↓ Latest</button>
        )}
        <HandsFreeBar voice={voice} />
        <QueuedMessages queue={queue} onCancel={(id) => dispatch({ type: "queue/cancelled", id })} />
        <Composer
          text={text}
          busy={busy}
          ready={ready}
          inputRef={inputRef}
          notice={notice ?? voice.notice}
          onText={(text) => dispatch({ type: "composer/changed", text })}
          onSend={() => void chat.send({})}
          onStop={chat.stop}
          above={<PendingAttachments items={state.files} onRemove={(key) => removeFile(store, key)} />}
          canSendEmpty={state.files.length > 0}
          onPaste={(e) => {
            const pasted = Array.from(e.clipboardData?.files ?? []);
            if (pasted.length === 0) return;
            e.preventDefault();
            addToComposer(pasted);
          }}
          tools={
            <>
              <AttachButton disabled={!ready || busy} onFiles={addToComposer} />
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

/** Focuses what `request` names: the composer, a message's Edit button, or a version switcher. */
function focusTarget(request: FocusRequest, input: HTMLElement | null, view: HTMLElement | null): void {
  if (request.kind === "composer") return input?.focus();
  const message = `#${CSS.escape(messageElementId(request.messageId))}`;
  if (request.kind === "edit-button") {
    return view?.querySelector<HTMLElement>(`${message} .edit-message, ${message} .edit-reply`)?.focus();
  }
  const group = document.querySelector(`${message} .branch-switcher`);
  const same = group?.querySelector<HTMLButtonElement>(`.branch-${request.direction}:not(:disabled)`);
  (same ?? group?.querySelector<HTMLButtonElement>("button:not(:disabled)"))?.focus();
}
