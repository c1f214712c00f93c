/**
 * The conversation list: new chat, filter by title, inline rename, delete with an inline confirm.
 * Plain links and a GET filter form, so it also works without JavaScript; the island adds the rest.
 */
import type { VNode } from "preact";
import { useRef, useState } from "preact/hooks";
import { SearchBox } from "./SearchBox.tsx";
import type { ConversationItem } from "./types.ts";

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
  onDelete(id: string): void;
  onClose(): void;
}

/** Renders the sidebar. */
export function Sidebar(props: SidebarProps): VNode {
  const { conversations, activeId, query, ready, open } = props;
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
                />
              ))}
            </ul>
          )}
      </nav>
    </aside>
  );
}

interface RowProps {
  item: ConversationItem;
  active: boolean;
  ready: boolean;
  onRename(id: string, title: string): void;
  onDelete(id: string): void;
}

function ConversationRow({ item, active, ready, onRename, onDelete }: RowProps): VNode {
  const [mode, setMode] = useState<"view" | "rename" | "confirm">("view");
  const renaming = useRef(false);
  const finishRename = (value: string, save: boolean) => {
    if (!renaming.current) return;
    renaming.current = false;
    setMode("view");
    const title = value.trim();
    if (save && title !== "" && title !== item.title) onRename(item.id, title);
  };
  return (
    <li class={active ? "conversation-item active" : "conversation-item"} data-id={item.id}>
      {mode === "rename"
        ? (
          <input
            class="rename-input"
            aria-label="New title"
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
                finishRename(e.currentTarget.value, true);
              } else if (e.key === "Escape") {
                e.preventDefault();
                e.stopPropagation();
                finishRename("", false);
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
          >
            {item.title}
          </a>
        )}
      {mode === "confirm"
        ? (
          <div class="confirm-delete" role="group" aria-label={`Delete “${item.title}”?`}>
            <span>Delete?</span>
            <button
              type="button"
              class="button button-small button-danger confirm-yes"
              ref={(el) => el?.focus()}
              onClick={() => onDelete(item.id)}
            >
              Delete
            </button>
            <button type="button" class="button button-small confirm-no" onClick={() => setMode("view")}>
              Cancel
            </button>
          </div>
        )
        : mode === "view" && (
          <div class="row-actions">
            <button
              type="button"
              class="action rename"
              aria-label={`Rename “${item.title}”`}
              disabled={!ready}
              onClick={() => {
                renaming.current = true;
                setMode("rename");
              }}
            >
              ✎
            </button>
            <button
              type="button"
              class="action delete"
              aria-label={`Delete “${item.title}”`}
              disabled={!ready}
              onClick={() => setMode("confirm")}
            >
              ×
            </button>
          </div>
        )}
    </li>
  );
}
