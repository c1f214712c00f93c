/**
 * Mini-Claude's own export (docs/export-format.md): validated with the format's zod schemas, then
 * imported exactly: titles, settings, statuses, usage, times, pin/archive, folder (by name) and the
 * whole tree with its current leaf. A message streaming at export time is imported as stopped.
 */
import { ExportedConversation, ExportedFolder } from "../format.ts";
import type { Converted, ImportFolder } from "./types.ts";

/** Converts one exported conversation; `folders` are the file's folders by id. */
export function convertMiniClaude(
  value: unknown,
  index: number,
  folders: Map<string, ImportFolder>,
): Converted {
  const parsed = ExportedConversation.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: "skipped",
      skipped: [{
        reason: `invalid conversation (${issue.path.join(".") || "entry"}: ${issue.message})`,
        where: `conversation ${index + 1}`,
      }],
    };
  }
  const c = parsed.data;
  const keys = new Set<string>();
  for (const m of c.messages) {
    if (m.parentId !== null && !keys.has(m.parentId)) {
      return {
        kind: "skipped",
        skipped: [{ reason: "a message's parent is not an earlier message", where: `“${c.title}”` }],
      };
    }
    keys.add(m.id);
  }
  return {
    kind: "conversation",
    skipped: [],
    conversation: {
      source: `mini-claude:${c.id}`,
      title: c.title,
      titleSource: c.titleSource,
      systemPrompt: c.systemPrompt,
      model: c.model,
      folder: c.folderId ? folders.get(c.folderId) ?? null : null,
      pinned: c.pinned,
      archived: c.archived,
      createdAt: new Date(c.createdAt),
      updatedAt: new Date(c.updatedAt),
      currentLeafKey: c.currentLeafId,
      messages: c.messages.map((m) => ({
        key: m.id,
        parentKey: m.parentId,
        role: m.role,
        content: m.content,
        status: m.status === "streaming" ? "stopped" : m.status,
        usage: m.usage,
        createdAt: new Date(m.createdAt),
        updatedAt: new Date(m.updatedAt),
      })),
    },
  };
}

/** Reads a folder of the file; null when malformed. */
export function parseFolder(value: unknown): ExportedFolder | null {
  const parsed = ExportedFolder.safeParse(value);
  return parsed.success ? parsed.data : null;
}
