/**
 * Attachments on a message being sent: the ids must be the sender's unsent uploads (404 otherwise,
 * so another owner's id is indistinguishable from a missing one), at most `maxPerMessage`, and the
 * model that answers must read their kinds (400 `attachments_unsupported` otherwise). Checked inside
 * the reply's transaction (`sql`) before the message is stored, so a refusal loses nothing.
 */
import type { AttachmentKind } from "../chat/provider.ts";
import type { ListedModel } from "../chat/registry.ts";
import { type AttachmentMeta, linkAttachments, unsentAttachments } from "../db/attachments.ts";
import type { Queryable } from "../db/sql.ts";
import { HttpError } from "../http_error.ts";
import { attachmentKind } from "./sniff.ts";
import { DEFAULT_ATTACHMENT_LIMITS } from "./upload.ts";

const KIND_NAMES: Record<AttachmentKind, string> = { image: "images", pdf: "PDF files" };

/** The checked uploads for `ids`, in the order given; throws 404/400 {@link HttpError}s. */
export async function checkAttachments(
  sql: Queryable,
  ownerId: string,
  model: ListedModel | null,
  ids: readonly string[],
): Promise<AttachmentMeta[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const max = DEFAULT_ATTACHMENT_LIMITS.maxPerMessage;
  if (unique.length > max) {
    throw new HttpError(400, "too_many_attachments", `A message may carry at most ${max} files.`);
  }
  const found = await unsentAttachments(sql, ownerId, unique);
  if (found.length !== unique.length) {
    throw new HttpError(404, "attachment_not_found", "Attachment not found (it may have been sent already).");
  }
  const accepts = new Set(model?.accepts ?? []);
  const kinds = [...new Set(found.map((f) => attachmentKind(f.mimeType)))];
  const refused = kinds.filter((k) => !accepts.has(k));
  if (refused.length > 0) {
    const what = refused.map((k) => KIND_NAMES[k]).join(" or ");
    throw new HttpError(
      400,
      "attachments_unsupported",
      `${
        model?.label ?? "This model"
      } cannot read ${what}. Pick a model that can in the conversation settings, or remove the file.`,
    );
  }
  const order = new Map(unique.map((id, i) => [id, i]));
  return found.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

/** Links checked uploads to the stored user message. */
export async function attachToMessage(
  sql: Queryable,
  ownerId: string,
  messageId: string,
  files: readonly AttachmentMeta[],
): Promise<void> {
  if (files.length === 0) return;
  await linkAttachments(sql, ownerId, messageId, files.map((f) => f.id));
}
