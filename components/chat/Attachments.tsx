/**
 * Attachment pieces of the chat UI: the paperclip button (a labelled file input, so it is keyboard
 * and screen-reader friendly), the chips of files waiting to be sent, and the thumbnails shown in a
 * message. Images show from `/api/attachments/:id` (same origin, allowed by the CSP).
 */
import { Icon } from "../voice/icons.tsx";
import type { VNode } from "preact";
import type { PendingAttachment } from "./state.ts";
import type { AttachmentItem } from "./types.ts";

/** The types the file picker offers (the server checks the bytes anyway). */
export const ACCEPTED_TYPES = "image/png,image/jpeg,image/webp,image/gif,application/pdf";

/** Props of {@link AttachButton}. */
export interface AttachButtonProps {
  disabled: boolean;
  onFiles(files: File[]): void;
}

/** The paperclip: a visually hidden file input inside its label. */
export function AttachButton({ disabled, onFiles }: AttachButtonProps): VNode {
  return (
    <label class={disabled ? "attach-button disabled" : "attach-button"} title="Attach images or PDFs">
      <input
        type="file"
        class="attach-input"
        accept={ACCEPTED_TYPES}
        multiple
        disabled={disabled}
        aria-label="Attach images or PDFs"
        onChange={(e) => {
          const input = e.currentTarget;
          const files = Array.from(input.files ?? []);
          input.value = "";
          if (files.length) onFiles(files);
        }}
      />
      <Icon name="paperclip" />
    </label>
  );
}

function Thumb({ item, small }: { item: Pick<AttachmentItem, "id" | "name" | "mimeType">; small?: boolean }) {
  if (item.mimeType === "application/pdf") return <span class="attachment-pdf" aria-hidden="true">PDF</span>;
  return (
    <img
      class="attachment-thumb"
      src={`/api/attachments/${item.id}`}
      alt={small ? "" : item.name}
      loading="lazy"
      decoding="async"
    />
  );
}

/** Props of {@link PendingAttachments}. */
export interface PendingAttachmentsProps {
  items: readonly PendingAttachment[];
  onRemove(key: string): void;
}

/** Files chosen for the next message, each with a Remove button. */
export function PendingAttachments({ items, onRemove }: PendingAttachmentsProps): VNode | null {
  if (items.length === 0) return null;
  return (
    <ul class="pending-attachments" aria-label="Files to send">
      {items.map((p) => (
        <li key={p.key} class="pending-attachment" data-state={p.id ? "ready" : "uploading"}>
          {p.id
            ? <Thumb item={{ id: p.id, name: p.name, mimeType: p.mimeType }} small />
            : <span class="attachment-pdf" aria-hidden="true">…</span>}
          <span class="attachment-name">{p.id ? p.name : `Uploading ${p.name}…`}</span>
          <button
            type="button"
            class="attachment-remove"
            aria-label={`Remove ${p.name}`}
            onClick={() => onRemove(p.key)}
          >
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Thumbnails (images) and links (PDFs) of a sent message's files. */
export function MessageAttachments({ items }: { items?: readonly AttachmentItem[] }): VNode | null {
  if (!items?.length) return null;
  return (
    <ul class="message-attachments" aria-label="Attached files">
      {items.map((a) => (
        <li key={a.id}>
          <a
            href={`/api/attachments/${a.id}`}
            target="_blank"
            rel="noopener"
            aria-label={a.mimeType === "application/pdf" ? `Download ${a.name}` : `Open ${a.name}`}
          >
            <Thumb item={a} />
            {a.mimeType === "application/pdf" && <span>{a.name}</span>}
          </a>
        </li>
      ))}
    </ul>
  );
}
