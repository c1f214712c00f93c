/** Attachment metadata of a conversation's messages, as the API and the chat page show it. */
import { attachmentsOfMessages } from "../db/attachments.ts";
import type { Message } from "../db/mod.ts";
import type { Queryable } from "../db/sql.ts";

/** An attachment as the API shows it (no bytes: they are at `GET /api/attachments/:id`). */
export interface AttachmentJson {
  id: string;
  name: string;
  mimeType: string;
  size: number;
}

/** Attachments by message id, for the user messages among `messages`. */
export async function attachmentsByMessage(
  sql: Queryable,
  ownerId: string,
  messages: readonly Pick<Message, "id" | "role">[],
): Promise<Map<string, AttachmentJson[]>> {
  const ids = messages.filter((m) => m.role === "user").map((m) => m.id);
  const found = await attachmentsOfMessages(sql, ownerId, ids);
  const out = new Map<string, AttachmentJson[]>();
  for (const [messageId, list] of found) {
    out.set(
      messageId,
      list.map((a) => ({ id: a.id, name: a.name, mimeType: a.mimeType, size: a.sizeBytes })),
    );
  }
  return out;
}
