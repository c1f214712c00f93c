/**
 * The conversation API's request schemas and response shapes (DESIGN.md's contract), shared by
 * the route files under `routes/api/conversations/`.
 */
import { z } from "zod";
import type {
  Conversation,
  ConversationSummary,
  ConversationWithMessages,
  Folder,
  Message,
  PathMessage,
} from "../db/mod.ts";
import type { AttachmentJson } from "../attachments/listing.ts";
import { HttpError } from "../http_error.ts";

import { MAX_MESSAGE_CHARS } from "./limits.ts";

export { MAX_MESSAGE_CHARS };
/** Longest system prompt, in characters. */
export const MAX_SYSTEM_PROMPT_CHARS = 8_000;
/** Longest title, in characters. */
export const MAX_TITLE_CHARS = 200;

const title = z.string().trim().min(1, "title must not be empty").max(
  MAX_TITLE_CHARS,
  `title is longer than ${MAX_TITLE_CHARS} characters`,
);
const systemPrompt = z.string().max(
  MAX_SYSTEM_PROMPT_CHARS,
  `systemPrompt is longer than ${MAX_SYSTEM_PROMPT_CHARS} characters`,
);
/** Well-formed model ids (`gemini-2.5-flash`, `ollama:llama3.2:3b`, `openrouter:openai/gpt-4o`); listed ones are checked by the allowlist. */
const model = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/,
  "model must be a model id such as gemini-2.5-flash",
).nullable();

const folderId = z.string().uuid("folderId must be a folder id").nullable();

/** `POST /api/conversations`; in a folder, omitted systemPrompt/model come from the folder. */
export const CreateConversationBody = z.strictObject({
  title: title.optional(),
  systemPrompt: systemPrompt.optional(),
  model: model.optional(),
  folderId: folderId.optional(),
});

/** `PATCH /api/conversations/:id`. */
export const PatchConversationBody = z.strictObject({
  title: title.optional(),
  systemPrompt: systemPrompt.optional(),
  model: model.optional(),
  folderId: folderId.optional(),
  pinned: z.boolean().optional(),
  archived: z.boolean().optional(),
}).refine(
  (b) => Object.keys(b).length > 0,
  "send at least one of title, systemPrompt, model, folderId, pinned, archived",
);

/** Longest folder name, in characters. */
export const MAX_FOLDER_NAME_CHARS = 200;
const folderName = z.string().trim().min(1, "name must not be empty").max(
  MAX_FOLDER_NAME_CHARS,
  `name is longer than ${MAX_FOLDER_NAME_CHARS} characters`,
);

/** `POST /api/folders`. */
export const CreateFolderBody = z.strictObject({
  name: folderName,
  systemPrompt: systemPrompt.optional(),
  model: model.optional(),
});

/** `PATCH /api/folders/:id`. */
export const PatchFolderBody = z.strictObject({
  name: folderName.optional(),
  systemPrompt: systemPrompt.optional(),
  model: model.optional(),
}).refine((b) => Object.keys(b).length > 0, "send at least one of name, systemPrompt, model");

/** `GET /api/conversations` query: filters and keyset paging. */
export const ListConversationsQuery = z.object({
  q: z.string().max(200, "q is longer than 200 characters").optional(),
  limit: z.coerce.number().int("limit must be an integer").min(1).max(500).default(100),
  before: z.string().regex(/^[1-9][0-9]{0,18}$/, "before must be a cursor from x-next-cursor").optional(),
  folder: z.string().uuid("folder must be a folder id").optional(),
  archived: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  pinned: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
});

/**
 * `POST /api/conversations/:id/messages`: content checked for length separately (413); content may be
 * empty when files are attached (`attachmentIds` from `POST /api/attachments`).
 */
export const SendMessageBody = z.strictObject({
  content: z.string(),
  attachmentIds: z.array(z.string().uuid("attachmentIds must be attachment ids")).max(16).optional(),
  /** The message to answer under (the last one the client shows); default the current leaf. */
  parentId: z.string().uuid("parentId must be a message id").optional(),
}).refine((b) => b.content.trim().length > 0 || (b.attachmentIds?.length ?? 0) > 0, {
  message: "content must not be empty",
  path: ["content"],
});

const messageId = z.string().uuid("messageId must be a message id");
const content = z.string().refine((s) => s.trim().length > 0, "content must not be empty");

/** `POST /api/conversations/:id/edit`: a new version of a user message, answered again. */
export const EditMessageBody = z.strictObject({ messageId, content });

/** `POST /api/conversations/:id/regenerate`: a new version of a reply (default: the last one). */
export const RegenerateBody = z.strictObject({ messageId: messageId.optional() });

/** `POST /api/conversations/:id/continue`: more text for the stopped reply at the leaf. */
export const ContinueBody = z.strictObject({ messageId: messageId.optional() });

/** `POST /api/conversations/:id/branch`: show the branch through a message (stored). */
export const SwitchBranchBody = z.strictObject({ messageId });

/** `POST /api/conversations/:id/versions`: a reply's text edited by hand, kept as a new version. */
export const ReviseReplyBody = z.strictObject({ messageId, content });

/** Rejects over-long messages with 413. */
export function checkMessageLength(content: string): void {
  if (content.length > MAX_MESSAGE_CHARS) {
    throw new HttpError(
      413,
      "message_too_long",
      `A message may have at most ${MAX_MESSAGE_CHARS} characters`,
    );
  }
}

/** A conversation list row as the API returns it. */
export function summaryJson(c: ConversationSummary) {
  return {
    id: c.id,
    title: c.title,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    folderId: c.folderId,
    pinned: c.pinned,
    archived: c.archived,
  };
}

/** A folder as the API returns it. */
export function folderJson(f: Folder) {
  return {
    id: f.id,
    name: f.name,
    systemPrompt: f.systemPrompt,
    model: f.model,
    conversationCount: f.conversationCount,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}

/** The 404 for an unknown id or another session's folder. */
export function folderNotFound(): HttpError {
  return new HttpError(404, "not_found", "Folder not found");
}

/** A conversation (without messages) as the API returns it. */
export function conversationJson(c: Conversation) {
  return { ...summaryJson(c), systemPrompt: c.systemPrompt, model: c.model };
}

/** A message as the API returns it (with its versions' ids when it is on the current path). */
export function messageJson(m: Message | PathMessage) {
  return {
    id: m.id,
    parentId: m.parentId,
    ...("siblingIds" in m ? { siblingIds: m.siblingIds } : {}),
    role: m.role,
    content: m.content,
    status: m.status,
    usage: m.usage,
    createdAt: m.createdAt,
  };
}

/**
 * A conversation with the messages of its current branch as the API returns it; `attachments` (by
 * message id) adds each user message's files.
 */
export function conversationWithMessagesJson(
  c: ConversationWithMessages,
  attachments?: ReadonlyMap<string, readonly AttachmentJson[]>,
) {
  return {
    ...conversationJson(c),
    messages: c.messages.map((m) => {
      const files = attachments?.get(m.id);
      return files?.length ? { ...messageJson(m), attachments: files } : messageJson(m);
    }),
  };
}

/** The 404 for an unknown id or another session's conversation (indistinguishable on purpose). */
export function conversationNotFound(): HttpError {
  return new HttpError(404, "not_found", "Conversation not found");
}
