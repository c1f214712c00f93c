/**
 * The model's view of a conversation with files: each user turn carries its attachments' bytes when
 * the answering model reads that kind; a file it cannot read becomes a short text note instead, so
 * switching to a text-only model keeps the conversation usable.
 */
import type { ChatAttachment, ChatTurn } from "../chat/provider.ts";
import type { ListedModel } from "../chat/registry.ts";
import { toTurns } from "../chat/reply.ts";
import { type AttachmentFile, attachmentsOfMessages } from "../db/attachments.ts";
import type { Message } from "../db/mod.ts";
import type { Queryable } from "../db/sql.ts";
import { attachmentKind } from "./sniff.ts";

/** `toTurns(messages)` with the attachments of user messages added for `model`. */
export async function turnsWithAttachments(
  sql: Queryable,
  ownerId: string,
  messages: readonly Pick<Message, "id" | "role" | "content" | "status">[],
  model: ListedModel | null,
): Promise<ChatTurn[]> {
  const userIds = messages.filter((m) => m.role === "user").map((m) => m.id);
  const files = await attachmentsOfMessages(sql, ownerId, userIds, { withData: true });
  if (files.size === 0) return toTurns(messages);
  const accepts = new Set(model?.accepts ?? []);
  const kept = messages.filter((m) =>
    m.role === "user" || (m.content.length > 0 && m.status !== "streaming")
  );
  return kept.map((m) => {
    const list = (files.get(m.id) ?? []) as AttachmentFile[];
    if (m.role !== "user" || list.length === 0) return { role: m.role, content: m.content };
    const attachments: ChatAttachment[] = [];
    const notes: string[] = [];
    for (const f of list) {
      if (accepts.has(attachmentKind(f.mimeType))) {
        attachments.push({ mimeType: f.mimeType, data: f.data, name: f.name });
      } else notes.push(`[attached file "${f.name}" (${f.mimeType}) not shown: this model cannot read it]`);
    }
    const content = [m.content, ...notes].filter((t) => t.trim() !== "").join("\n");
    return attachments.length ? { role: m.role, content, attachments } : { role: m.role, content };
  });
}
