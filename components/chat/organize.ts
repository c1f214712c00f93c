/**
 * The sidebar's organizing actions: switch view (all / folder / archived), load the next page
 * ("More"), pin / archive / move a conversation, and create, save or delete folders. Each action
 * calls the API, then dispatches the server's answer to the chat store; failures become a notice.
 */
import * as api from "./api.ts";
import type { Placement } from "./RowMenu.tsx";
import type { SidebarOrganize } from "./Sidebar.tsx";
import type { ChatAction, ChatState } from "./state.ts";
import type { Store } from "./store.ts";
import type { ListView, ModelInfo } from "./types.ts";

/** The callbacks of {@link SidebarOrganize} (stable for the island's lifetime). */
export type OrganizeActions = Omit<
  SidebarOrganize,
  "folders" | "view" | "hasMore" | "loadingMore" | "models"
>;

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

/** Builds the organizing callbacks on `store`; `refreshList` reloads the sidebar's first page. */
export function organizeActions(
  store: Store<ChatState, ChatAction>,
  refreshList: (query?: string, view?: ListView) => Promise<void>,
): OrganizeActions {
  const { dispatch, getState } = store;
  const notify = (notice: string) => dispatch({ type: "notice/shown", notice });
  const reloadFolders = async () => {
    try {
      dispatch({ type: "folders/loaded", folders: await api.listFolders() });
    } catch { /* counts stay as they were */ }
  };
  return {
    onView(view) {
      dispatch({ type: "view/changed", view });
      void refreshList(getState().query, view);
    },
    async onMore() {
      const { nextCursor, view, query } = getState();
      if (nextCursor === null) return;
      dispatch({ type: "list/more-started" });
      try {
        const page = await api.listView(view, query, nextCursor);
        dispatch({ type: "list/more-loaded", items: page.items, nextCursor: page.nextCursor });
      } catch (error) {
        dispatch({
          type: "list/more-failed",
          message: `Loading more conversations failed: ${message(error)}`,
        });
      }
    },
    async onPlace(id: string, patch: Placement) {
      try {
        await api.placeConversation(id, patch);
      } catch (error) {
        notify(`That change was not saved: ${message(error)}`);
        return;
      }
      await refreshList();
      if (patch.folderId !== undefined) await reloadFolders();
    },
    async onCreateFolder(name) {
      try {
        const folder = await api.createFolder({ name });
        dispatch({ type: "folder/created", folder });
        await refreshList(getState().query, { kind: "folder", id: folder.id });
      } catch (error) {
        notify(`The folder was not created: ${message(error)}`);
      }
    },
    async onSaveFolder(id, patch) {
      try {
        dispatch({ type: "folder/saved", folder: await api.updateFolder(id, patch) });
      } catch (error) {
        notify(`The folder was not saved: ${message(error)}`);
      }
    },
    onImported() {
      void reloadFolders();
      void refreshList();
    },
    async onDeleteFolder(id) {
      try {
        await api.deleteFolder(id);
      } catch (error) {
        if (!(error instanceof api.ApiError && error.code === "not_found")) {
          notify(`The folder was not deleted: ${message(error)}`);
          return;
        }
      }
      dispatch({ type: "folder/deleted", id });
      await refreshList(getState().query, { kind: "all" });
    },
  };
}

/** The sidebar's `organize` prop: the state it shows plus the callbacks. */
export function organizeProps(
  state: ChatState,
  models: ModelInfo,
  actions: OrganizeActions,
): SidebarOrganize {
  return {
    ...actions,
    folders: state.folders,
    view: state.view,
    hasMore: state.nextCursor !== null,
    loadingMore: state.loadingMore,
    models,
  };
}
