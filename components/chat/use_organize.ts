/**
 * The sidebar's organizing actions for `ChatApp`: switch view (all / folder / archived), load the
 * next page ("More"), pin / archive / move a conversation, and create, save or delete folders. Each
 * action calls the API, then updates the list from the server's answer; failures become a notice.
 */
import type { StateUpdater } from "preact/hooks";
import * as api from "./api.ts";
import type { Placement } from "./RowMenu.tsx";
import type { SidebarOrganize } from "./Sidebar.tsx";
import type { ConversationItem, FolderItem, ListView, ModelInfo } from "./types.ts";

type Set<T> = (value: StateUpdater<T>) => void;

/** State and setters the hook works on (owned by `ChatApp`). */
export interface OrganizeState {
  folders: FolderItem[];
  setFolders: Set<FolderItem[]>;
  view: ListView;
  setView: Set<ListView>;
  nextCursor: string | null;
  setNextCursor: Set<string | null>;
  loadingMore: boolean;
  setLoadingMore: Set<boolean>;
  setConversations: Set<ConversationItem[]>;
  refreshList(query?: string, view?: ListView): Promise<void>;
  models: ModelInfo;
  query(): string;
  notify(message: string): void;
}

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

/** Builds the sidebar's `organize` props. */
export function useOrganize(s: OrganizeState): SidebarOrganize {
  const reloadFolders = async () => {
    try {
      s.setFolders(await api.listFolders());
    } catch { /* counts stay as they were */ }
  };
  return {
    folders: s.folders,
    view: s.view,
    hasMore: s.nextCursor !== null,
    loadingMore: s.loadingMore,
    models: s.models,
    onView(view) {
      s.setView(view);
      void s.refreshList(s.query(), view);
    },
    async onMore() {
      if (s.nextCursor === null) return;
      s.setLoadingMore(true);
      try {
        const page = await api.listView(s.view, s.query(), s.nextCursor);
        s.setConversations((
          list,
        ) => [...list, ...page.items.filter((c) => !list.some((o) => o.id === c.id))]);
        s.setNextCursor(page.nextCursor);
      } catch (error) {
        s.notify(`Loading more conversations failed: ${message(error)}`);
      } finally {
        s.setLoadingMore(false);
      }
    },
    async onPlace(id: string, patch: Placement) {
      try {
        await api.placeConversation(id, patch);
      } catch (error) {
        s.notify(`That change was not saved: ${message(error)}`);
        return;
      }
      await s.refreshList();
      if (patch.folderId !== undefined) await reloadFolders();
    },
    async onCreateFolder(name) {
      try {
        const folder = await api.createFolder({ name });
        s.setFolders((list) => [...list, folder]);
        s.setView({ kind: "folder", id: folder.id });
        await s.refreshList(s.query(), { kind: "folder", id: folder.id });
      } catch (error) {
        s.notify(`The folder was not created: ${message(error)}`);
      }
    },
    async onSaveFolder(id, patch) {
      try {
        const saved = await api.updateFolder(id, patch);
        s.setFolders((list) => list.map((f) => f.id === id ? saved : f));
      } catch (error) {
        s.notify(`The folder was not saved: ${message(error)}`);
      }
    },
    onImported() {
      void reloadFolders();
      void s.refreshList();
    },
    async onDeleteFolder(id) {
      try {
        await api.deleteFolder(id);
      } catch (error) {
        if (!(error instanceof api.ApiError && error.code === "not_found")) {
          s.notify(`The folder was not deleted: ${message(error)}`);
          return;
        }
      }
      s.setFolders((list) => list.filter((f) => f.id !== id));
      s.setView({ kind: "all" });
      await s.refreshList(s.query(), { kind: "all" });
    },
  };
}
