/**
 * The sidebar's views: all chats, one per folder, and the archive. A folder button is also a drop
 * target: dropping a dragged conversation on it moves the conversation there ("All chats" moves it
 * out of its folder). "+" creates a folder inline (Enter saves, Esc cancels).
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import type { FolderItem, ListView } from "./types.ts";

/** Drag data type of a conversation row (its id). */
export const CONVERSATION_DRAG_TYPE = "application/x-mini-claude-conversation";

/** Props of {@link FolderBar}. */
export interface FolderBarProps {
  folders: FolderItem[];
  view: ListView;
  ready: boolean;
  onView(view: ListView): void;
  onCreate(name: string): void;
  /** A conversation was dropped on a folder (null: on "All chats"). */
  onDrop(conversationId: string, folderId: string | null): void;
}

/** Renders the folder list. */
export function FolderBar(props: FolderBarProps): VNode {
  const { folders, view, ready } = props;
  const [creating, setCreating] = useState(false);
  const [over, setOver] = useState<string | null>(null);
  const drop = (key: string, folderId: string | null) => ({
    onDragOver: (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes(CONVERSATION_DRAG_TYPE)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      setOver(key);
    },
    onDragLeave: () => setOver((o) => o === key ? null : o),
    onDrop: (e: DragEvent) => {
      const id = e.dataTransfer?.getData(CONVERSATION_DRAG_TYPE);
      setOver(null);
      if (!id) return;
      e.preventDefault();
      props.onDrop(id, folderId);
    },
  });
  const item = (key: string, label: string, target: ListView, pressed: boolean, folderId?: string | null) => (
    <li key={key}>
      <button
        type="button"
        class={over === key ? "folder-view drop-over" : "folder-view"}
        aria-pressed={pressed ? "true" : "false"}
        disabled={!ready}
        onClick={() => props.onView(target)}
        {...(folderId !== undefined ? drop(key, folderId) : {})}
      >
        {label}
      </button>
    </li>
  );
  return (
    <section class="folders" aria-label="Folders">
      <div class="folders-head">
        <h2 class="folders-title">Folders</h2>
        <button
          type="button"
          class="action new-folder"
          aria-label="New folder"
          disabled={!ready}
          onClick={() => setCreating(true)}
        >
          +
        </button>
      </div>
      {creating && (
        <input
          class="rename-input new-folder-input"
          aria-label="New folder name"
          maxLength={200}
          ref={(el) => {
            if (el && document.activeElement !== el) el.focus();
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              const name = e.currentTarget.value.trim();
              setCreating(false);
              if (name) props.onCreate(name);
            } else if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              setCreating(false);
            }
          }}
          onBlur={() => setCreating(false)}
        />
      )}
      <ul class="folder-list">
        {item("all", "All chats", { kind: "all" }, view.kind === "all", null)}
        {folders.map((f) =>
          item(
            f.id,
            f.name,
            { kind: "folder", id: f.id },
            view.kind === "folder" && view.id === f.id,
            f.id,
          )
        )}
        {item("archived", "Archived", { kind: "archived" }, view.kind === "archived")}
      </ul>
    </section>
  );
}
