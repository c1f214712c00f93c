/**
 * Files waiting to be sent with the next message: added by the picker, paste or drag and drop,
 * uploaded at once (`POST /api/attachments`), removable until sent. Files the answering model cannot
 * read, or of other types, or too large, are refused here with a notice (the server checks again).
 */
import { useRef, useState } from "preact/hooks";
import { ApiError, deleteAttachment, uploadAttachment } from "./api.ts";
import type { AttachmentItem } from "./types.ts";

/** A file in the composer; `id` is null while it uploads. */
export interface PendingAttachment {
  key: string;
  id: string | null;
  name: string;
  mimeType: string;
  size: number;
}

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

/** Options of {@link useAttachments}. */
export interface UseAttachmentsOptions {
  /** What the answering model reads ("image", "pdf"); empty = text only. */
  accepts: readonly string[];
  /** Label of the answering model, for notices. */
  modelLabel: string | null;
  /** Shows a notice under the composer. */
  notify(message: string | null): void;
}

/** The pending files and what can be done with them. */
export interface AttachmentsState {
  items: PendingAttachment[];
  /** True while any file is still uploading. */
  uploading: boolean;
  add(files: readonly File[]): void;
  remove(key: string): void;
  /** Empties the list after a send; returns the sent files. */
  take(): AttachmentItem[];
  /** Puts files back (the send was refused). */
  restore(items: AttachmentItem[]): void;
}

/** State and actions of the composer's files. */
export function useAttachments(options: UseAttachmentsOptions): AttachmentsState {
  const [items, setItems] = useState<PendingAttachment[]>([]);
  const latest = useRef(items);
  latest.current = items;
  const opts = useRef(options);
  opts.current = options;

  const add = (files: readonly File[]) => {
    const { accepts, modelLabel, notify } = opts.current;
    const room = MAX_FILES - latest.current.length;
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
      if (!accepts.includes(kind)) {
        notify(
          `${modelLabel ?? "This model"} cannot read ${
            kind === "pdf" ? "PDF files" : "images"
          }: pick a model that can in the conversation settings (⚙).`,
        );
        continue;
      }
      const key = `file-${++keys}`;
      const pending: PendingAttachment = {
        key,
        id: null,
        name: file.name || "pasted image",
        mimeType: file.type,
        size: file.size,
      };
      setItems((list) => [...list, pending]);
      uploadAttachment(file).then(
        (saved) => {
          if (!latest.current.some((p) => p.key === key)) {
            // Removed while uploading: drop the upload too.
            void deleteAttachment(saved.id).catch(() => {});
            return;
          }
          setItems((list) => list.map((p) => (p.key === key ? { ...p, ...saved } : p)));
        },
        (error) => {
          setItems((list) => list.filter((p) => p.key !== key));
          notify(error instanceof ApiError ? error.message : `"${file.name}" could not be uploaded.`);
        },
      );
    }
  };

  const remove = (key: string) => {
    const item = latest.current.find((p) => p.key === key);
    setItems((list) => list.filter((p) => p.key !== key));
    if (item?.id) void deleteAttachment(item.id).catch(() => {});
  };

  const take = (): AttachmentItem[] => {
    const ready = latest.current.filter((p) => p.id !== null);
    latest.current = [];
    setItems([]);
    return ready.map((p) => ({ id: p.id!, name: p.name, mimeType: p.mimeType, size: p.size }));
  };

  const restore = (list: AttachmentItem[]) => {
    setItems((current) => [...list.map((a) => ({ ...a, key: `file-${++keys}` })), ...current]);
  };

  return { items, uploading: items.some((p) => p.id === null), add, remove, take, restore };
}
