/**
 * Files waiting to be sent with the next message: added by the picker, paste or drag and drop,
 * uploaded at once (`POST /api/attachments`), removable until sent. Files the answering model cannot
 * read, or of other types, or too large, are refused here with a notice (the server checks again).
 * The list itself is `ChatState.files`; these functions do the uploads and dispatch what happened.
 */
import { ApiError, deleteAttachment, uploadAttachment } from "./api.ts";
import type { ChatAction, ChatState } from "./state.ts";
import type { Store } from "./store.ts";

/** Most files on one message (the server's limit). */
export const MAX_FILES = 4;

const TYPES: Record<string, "image" | "pdf"> = {
  "image/png": "image",
  "image/jpeg": "image",
  "image/webp": "image",
  "image/gif": "image",
  "application/pdf": "pdf",
};

let keys = 0;
/** A new key for a file in the composer. */
export const fileKey = (): string => `file-${++keys}`;

/** What the answering model reads, for the checks and the notices. */
export interface FileReader {
  /** What the answering model reads ("image", "pdf"); empty = text only. */
  accepts: readonly string[];
  /** Label of the answering model, for notices. */
  modelLabel: string | null;
}

/** Checks `files`, shows each accepted one at once and uploads it. */
export function addFiles(
  store: Store<ChatState, ChatAction>,
  files: readonly File[],
  reader: FileReader,
): void {
  const { dispatch, getState } = store;
  const notify = (notice: string | null) => dispatch({ type: "notice/shown", notice });
  const room = MAX_FILES - getState().files.length;
  if (files.length > room) {
    notify(`A message may carry at most ${MAX_FILES} files.`);
    files = files.slice(0, Math.max(0, room));
  } else notify(null);
  for (const file of files) {
    const kind = TYPES[file.type];
    if (!kind) {
      notify(`"${file.name}" is not a PNG, JPEG, WebP or GIF image or a PDF.`);
      continue;
    }
    if (!reader.accepts.includes(kind)) {
      notify(
        `${reader.modelLabel ?? "This model"} cannot read ${
          kind === "pdf" ? "PDF files" : "images"
        }: pick a model that can in the conversation settings (⚙).`,
      );
      continue;
    }
    const key = fileKey();
    dispatch({
      type: "files/added",
      file: { key, id: null, name: file.name || "pasted image", mimeType: file.type, size: file.size },
    });
    uploadAttachment(file).then(
      (saved) => {
        if (!getState().files.some((p) => p.key === key)) {
          // Removed while uploading: drop the upload too.
          void deleteAttachment(saved.id).catch(() => {});
          return;
        }
        dispatch({ type: "files/uploaded", key, file: saved });
      },
      (error) => {
        dispatch({
          type: "files/failed",
          key,
          notice: error instanceof ApiError ? error.message : `"${file.name}" could not be uploaded.`,
        });
      },
    );
  }
}

/** Removes a file from the composer (and its upload from the server). */
export function removeFile(store: Store<ChatState, ChatAction>, key: string): void {
  const item = store.getState().files.find((p) => p.key === key);
  store.dispatch({ type: "files/removed", key });
  if (item?.id) void deleteAttachment(item.id).catch(() => {});
}
