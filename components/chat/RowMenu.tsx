/**
 * A conversation row's "⋯" options: pin / unpin, archive / unarchive, and "Move to…" a folder.
 * A disclosure (button + group), so it works with the keyboard alone: Tab through the options,
 * Esc closes it and returns focus to the button. The move is a native `<select>`.
 */
import type { VNode } from "preact";
import { useRef, useState } from "preact/hooks";
import type { ConversationItem, FolderItem } from "./types.ts";

/** What a row's options can change. */
export type Placement = { folderId?: string | null; pinned?: boolean; archived?: boolean };

/** Props of {@link RowMenu}. */
export interface RowMenuProps {
  item: ConversationItem;
  folders: FolderItem[];
  ready: boolean;
  onPlace(id: string, patch: Placement): void;
}

/** Renders the options button and, when open, the options. */
export function RowMenu({ item, folders, ready, onPlace }: RowMenuProps): VNode {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const place = (patch: Placement) => {
    setOpen(false);
    onPlace(item.id, patch);
  };
  const menuId = `row-menu-${item.id}`;
  return (
    <>
      <button
        type="button"
        class="action row-menu-toggle"
        ref={button}
        aria-label={`Options for “${item.title}”`}
        aria-expanded={open ? "true" : "false"}
        aria-controls={open ? menuId : undefined}
        disabled={!ready}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && (
        <div
          id={menuId}
          class="row-menu"
          role="group"
          aria-label={`Options for “${item.title}”`}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              close();
            }
          }}
        >
          <button
            type="button"
            class="button button-small row-pin"
            ref={(el) => {
              if (el && !el.dataset.focused) {
                el.dataset.focused = "1";
                el.focus();
              }
            }}
            onClick={() => place({ pinned: !item.pinned })}
          >
            {item.pinned ? "Unpin" : "Pin"}
          </button>
          <button
            type="button"
            class="button button-small row-archive"
            onClick={() => place({ archived: !item.archived })}
          >
            {item.archived ? "Unarchive" : "Archive"}
          </button>
          <a
            class="button button-small row-export-md"
            href={`/api/conversations/${item.id}/export?format=markdown`}
            download
          >
            Export Markdown
          </a>
          <a
            class="button button-small row-export-json"
            href={`/api/conversations/${item.id}/export?format=json`}
            download
          >
            Export JSON
          </a>
          <label class="row-move">
            <span>Move to…</span>
            <select
              class="row-move-select"
              value={item.folderId ?? ""}
              onChange={(e) => {
                const value = e.currentTarget.value;
                place({ folderId: value === "" ? null : value });
              }}
            >
              <option value="">No folder</option>
              {folders.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
            </select>
          </label>
        </div>
      )}
    </>
  );
}
