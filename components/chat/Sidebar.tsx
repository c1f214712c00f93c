/**
 * The conversation list: new chat, filter by title, inline rename, delete with an inline confirm.
 * Plain links and a GET filter form, so it also works without JavaScript; the island adds the rest.
 */
import type { VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { CONVERSATION_DRAG_TYPE, FolderBar } from "./FolderBar.tsx";
import { FolderPanel } from "./FolderPanel.tsx";
import { type Placement, RowMenu } from "./RowMenu.tsx";
import { SearchBox } from "./SearchBox.tsx";
import { TransferBox } from "./TransferBox.tsx";
import type { ConversationItem, FolderItem, ListView, ModelInfo } from "./types.ts";

/** Folders, views, paging and row options (absent: a plain list). */
export interface SidebarOrganize {
  folders: FolderItem[];
  view: ListView;
  /** More rows exist beyond those shown. */
  hasMore: boolean;
  loadingMore: boolean;
  models: ModelInfo;
  onView(view: ListView): void;
  onMore(): void;
  onPlace(id: string, patch: Placement): void;
  onCreateFolder(name: string): void;
  onSaveFolder(id: string, patch: { name: string; systemPrompt: string; model: string | null }): void;
  onDeleteFolder(id: string): void;
  /** An import finished: reload the list and the folders. */
  onImported(): void;
}

/** Props of {@link Sidebar}. */
export interface SidebarProps {
  conversations: ConversationItem[];
  activeId: string | null;
  query: string;
  ready: boolean;
  /** Drawer state on narrow screens. */
  open: boolean;
  onQuery(query: string): void;
  onRename(id: string, title: string): void;
  /** Resolves once the row is gone (or the delete failed). */
  onDelete(id: string): void | Promise<void>;
  onClose(): void;
  organize?: SidebarOrganize;
}

/** Renders the sidebar. */
export function Sidebar(props: SidebarProps): VNode {
  const { conversations, activeId, query, ready, open, organize } = props;
  const openFolder = organize?.view.kind === "folder"
    ? organize.folders.find((f) => f.id === (organize.view as { id: string }).id)
    : undefined;
  return (
    <aside id="sidebar" class={open ? "sidebar open" : "sidebar"} aria-label="Conversations">
      <div class="sidebar-head">
        <a class="button button-primary new-chat" href="/" title="New chat (Ctrl+Shift+O)">
          + New chat
        </a>
        <button
          type="button"
          class="icon-button sidebar-close"
          aria-label="Close the conversation list"
          onClick={props.onClose}
        >
          ×
        </button>
      </div>
      <SearchBox ready={ready} />
      <form class="filter" role="search" method="get" action="/" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          name="q"
          class="filter-input"
          placeholder="Filter by title"
          aria-label="Filter conversations by title"
          value={query}
          onInput={(e) => props.onQuery(e.currentTarget.value)}
        />
      </form>
      {organize && (
        <FolderBar
          folders={organize.folders}
          view={organize.view}
          ready={ready}
          onView={organize.onView}
          onCreate={organize.onCreateFolder}
          onDrop={(id, folderId) => organize.onPlace(id, { folderId })}
        />
      )}
      {organize && openFolder && (
        <FolderPanel
          key={openFolder.id}
          folder={openFolder}
          models={organize.models}
          ready={ready}
          onSave={(patch) => organize.onSaveFolder(openFolder.id, patch)}
          onDelete={() => organize.onDeleteFolder(openFolder.id)}
        />
      )}
      <nav class="conversation-nav" aria-label="Conversation list">
        {conversations.length === 0
          ? <p class="conversation-empty">{query ? "No conversation matches." : "No conversations yet."}</p>
          : (
            <ul class="conversation-list">
              {conversations.map((c) => (
                <ConversationRow
                  key={c.id}
                  item={c}
                  active={c.id === activeId}
                  ready={ready}
                  onRename={props.onRename}
                  onDelete={props.onDelete}
                  organize={organize}
                />
              ))}
            </ul>
          )}
        {organize?.hasMore && (
          <button
            type="button"
            class="button button-small more-conversations"
            disabled={!ready || organize.loadingMore}
            onClick={organize.onMore}
          >
            {organize.loadingMore ? "Loading…" : "More"}
          </button>
        )}
      </nav>
      {organize && <TransferBox ready={ready} onImported={organize.onImported} />}
      <a class="sidebar-link" href="/training">Training runs</a>
    </aside>
  );
}

interface RowProps {
  item: ConversationItem;
  active: boolean;
  ready: boolean;
  onRename(id: string, title: string): void;
  onDelete(id: string): void | Promise<void>;
  organize?: SidebarOrganize;
}

function ConversationRow({ item, active, ready, onRename, onDelete, organize }: RowProps): VNode {
  const [mode, setMode] = useState<"view" | "rename" | "confirm">("view");
  const renaming = useRef(false);
  const row = useRef<HTMLLIElement>(null);
  /** Where focus goes when the row is back to "view" (after Enter/Esc in rename, Cancel/Esc in confirm). */
  const refocus = useRef<string | null>(null);
  useEffect(() => {
    if (mode !== "view" || refocus.current === null) return;
    row.current?.querySelector<HTMLElement>(refocus.current)?.focus();
    refocus.current = null;
  }, [mode]);
  const cancelDelete = () => {
    refocus.current = ".delete";
    setMode("view");
  };
  const confirmDelete = async () => {
    // Focus moves to the next conversation (or the previous, or New chat) once this one is gone.
    const li = row.current;
    const next = (li?.nextElementSibling ?? li?.previousElementSibling)?.querySelector<HTMLElement>(
      ".conversation-link",
    ) ?? document.querySelector<HTMLElement>(".new-chat");
    await onDelete(item.id);
    if (!row.current?.isConnected) next?.focus();
  };
  const finishRename = (value: string, save: boolean, keyboard = false) => {
    if (!renaming.current) return;
    renaming.current = false;
    if (keyboard) refocus.current = ".conversation-link";
    setMode("view");
    const title = value.trim();
    if (save && title !== "" && title !== item.title) onRename(item.id, title);
  };
  return (
    <li
      ref={row}
      class={active ? "conversation-item active" : "conversation-item"}
      draggable={organize && ready && mode === "view" ? true : undefined}
      onDragStart={organize
        ? (e) => {
          e.dataTransfer?.setData(CONVERSATION_DRAG_TYPE, item.id);
          if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        }
        : undefined}
    >
      {mode === "rename"
        ? (
          <input
            class="rename-input"
            aria-label="New title"
            dir="auto"
            maxLength={200}
            defaultValue={item.title}
            ref={(el) => {
              if (el && document.activeElement !== el) {
                el.focus();
                el.select();
              }
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                finishRename(e.currentTarget.value, true, true);
              } else if (e.key === "Escape") {
                e.preventDefault();
                e.stopPropagation();
                finishRename("", false, true);
              }
            }}
            onBlur={(e) => finishRename(e.currentTarget.value, true)}
          />
        )
        : (
          <a
            class="conversation-link"
            href={`/c/${item.id}`}
            aria-current={active ? "page" : undefined}
            title={item.title}
            dir="auto"
          >
            {item.pinned && (
              <>
                <span class="pin-mark" aria-hidden="true">📌</span>
                <span class="visually-hidden">Pinned:</span>
              </>
            )}
            {item.title}
          </a>
        )}
      {mode === "confirm"
        ? (
          <div
            class="confirm-delete"
            role="group"
            aria-label={`Delete “${item.title}”?`}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                e.preventDefault();
                e.stopPropagation();
                cancelDelete();
              }
            }}
          >
            <span>Delete?</span>
            <button
              type="button"
              class="button button-small button-danger confirm-yes"
              ref={(el) => el?.focus()}
              onClick={() => void confirmDelete()}
            >
              Delete
            </button>
            <button type="button" class="button button-small confirm-no" onClick={cancelDelete}>
              Cancel
            </button>
          </div>
        )
        : mode === "view" && (
          // Empty (CSS keeps its width) until the island is hydrated: the buttons only work then.
          <div class={organize ? "row-actions" : "row-actions row-actions-two"}>
            {ready && organize && (
              <RowMenu item={item} folders={organize.folders} ready={ready} onPlace={organize.onPlace} />
            )}
            {ready && (
              <button
                type="button"
                class="action rename"
                aria-label={`Rename “${item.title}”`}
                onClick={() => {
                  renaming.current = true;
                  setMode("rename");
                }}
              >
                ✎
              </button>
            )}
            {ready && (
              <button
                type="button"
                class="action delete"
                aria-label={`Delete “${item.title}”`}
                onClick={() => setMode("confirm")}
              >
                ×
              </button>
            )}
          </div>
        )}
    </li>
  );
}
