/**
 * The Mini-Claude export format, version 1 (documented in docs/export-format.md): one JSON
 * document holding folders and conversations, each conversation with every message of its tree
 * (`parentId`, null for a root) in creation order (a parent always comes before its children) and
 * the leaf the conversation shows (`currentLeafId`). Ids are the exporting database's; an import
 * gives everything new ids and keeps the structure.
 */
import { z } from "zod";

/** The `format` field of every export. */
export const EXPORT_FORMAT = "mini-claude.export";
/** The version this code writes and reads. */
export const EXPORT_VERSION = 1;

const iso = z.string().datetime({ offset: true, message: "must be an ISO-8601 date-time" });
const uuid = z.string().uuid();

/** A message in an export. */
export const ExportedMessage = z.object({
  id: uuid,
  parentId: uuid.nullable(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  status: z.enum(["complete", "streaming", "stopped", "error"]),
  usage: z.object({
    promptTokens: z.number().int().nonnegative().nullable(),
    completionTokens: z.number().int().nonnegative().nullable(),
  }).nullable(),
  createdAt: iso,
  updatedAt: iso,
});
export type ExportedMessage = z.infer<typeof ExportedMessage>;

/** A conversation in an export. */
export const ExportedConversation = z.object({
  id: uuid,
  title: z.string().min(1).max(200),
  titleSource: z.enum(["default", "auto", "custom"]),
  systemPrompt: z.string().max(8000),
  model: z.string().max(128).nullable(),
  folderId: uuid.nullable(),
  pinned: z.boolean(),
  archived: z.boolean(),
  createdAt: iso,
  updatedAt: iso,
  currentLeafId: uuid.nullable(),
  messages: z.array(ExportedMessage),
});
export type ExportedConversation = z.infer<typeof ExportedConversation>;

/** A folder in an export. */
export const ExportedFolder = z.object({
  id: uuid,
  name: z.string().min(1).max(200),
  systemPrompt: z.string().max(8000),
  model: z.string().max(128).nullable(),
  createdAt: iso,
  updatedAt: iso,
});
export type ExportedFolder = z.infer<typeof ExportedFolder>;

/** The document's fields besides `folders` and `conversations`. */
export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
}
