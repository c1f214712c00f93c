/**
 * The repository functions bound to one postgres.js handle (the pool or a transaction), with
 * connection failures mapped to `database_unavailable`. This is what {@link Database} exposes.
 */
import type postgres from "postgres";
import type { ExportedConversation, ExportedFolder } from "../transfer/format.ts";
import * as conversations from "./conversations.ts";
import { guardedBy } from "./errors.ts";
import * as folders from "./folders.ts";
import * as messages from "./messages.ts";
import * as owners from "./owners.ts";
import * as search from "./search.ts";
import * as transfer from "./transfer.ts";
import * as replyLock from "./reply_lock.ts";
import * as tree from "./tree.ts";

/** Owner-scoped repository methods (see the modules for each method's contract). */
export interface Store {
  ensureOwner(ownerId: string): Promise<owners.Owner>;
  ownerDataVersion(ownerId: string): Promise<string | null>;
  listConversations(
    ownerId: string,
    options?: conversations.ListOptions,
  ): Promise<conversations.ConversationSummary[]>;
  listConversationPage(
    ownerId: string,
    options?: conversations.ListOptions,
  ): Promise<conversations.ConversationPage>;
  createConversation(
    ownerId: string,
    input?: conversations.NewConversation,
  ): Promise<conversations.Conversation>;
  getConversation(ownerId: string, id: string): Promise<conversations.ConversationWithMessages | null>;
  updateConversation(
    ownerId: string,
    id: string,
    patch: conversations.ConversationPatch,
  ): Promise<conversations.Conversation | null>;
  deleteConversation(ownerId: string, id: string): Promise<boolean>;
  appendMessage(
    ownerId: string,
    conversationId: string,
    message: messages.NewMessage,
  ): Promise<messages.Message | null>;
  /** Only inside {@link Database.transaction}, after {@link lockReplyPath} or {@link lockForReply}. */
  appendUnderLock(
    conversationId: string,
    message: messages.LockedNewMessage,
  ): Promise<messages.Message | null>;
  /** A user message and its `streaming` reply row in one statement; same rule as `appendUnderLock`. */
  appendExchange(
    conversationId: string,
    user: { id: string; content: string; parentId: string | null },
    reply: { id: string },
  ): Promise<{ user: messages.Message; reply: messages.Message } | null>;
  updateMessage(messageId: string, patch: messages.MessagePatch): Promise<messages.Message | null>;
  currentPath(ownerId: string, conversationId: string): Promise<tree.PathMessage[] | null>;
  messagePath(ownerId: string, conversationId: string, messageId: string): Promise<tree.PathMessage[] | null>;
  listSiblings(
    ownerId: string,
    conversationId: string,
    messageId: string,
  ): Promise<messages.Message[] | null>;
  switchBranch(
    ownerId: string,
    conversationId: string,
    messageId: string,
  ): Promise<tree.PathMessage[] | null>;
  /** Only meaningful inside {@link Database.transaction}: the lock lasts until it ends. */
  lockForReply(ownerId: string, conversationId: string): Promise<replyLock.ReplyLock | null>;
  /** {@link lockForReply} and the current path in one round trip; only inside a transaction. */
  lockReplyPath(ownerId: string, conversationId: string): Promise<replyLock.ReplyPathLock | null>;
  listFolders(ownerId: string): Promise<folders.Folder[]>;
  getFolder(ownerId: string, id: string): Promise<folders.Folder | null>;
  createFolder(ownerId: string, input: folders.NewFolder): Promise<folders.Folder>;
  updateFolder(ownerId: string, id: string, patch: folders.FolderPatch): Promise<folders.Folder | null>;
  deleteFolder(ownerId: string, id: string): Promise<boolean>;
  exportFolders(ownerId: string): Promise<ExportedFolder[]>;
  exportConversations(
    ownerId: string,
    options?: { afterId?: string | null; limit?: number; ids?: string[] },
  ): Promise<ExportedConversation[]>;
  searchConversations(
    ownerId: string,
    query: string,
    options?: search.SearchOptions,
  ): Promise<search.SearchHit[]>;
}

/**
 * Binds the repositories to `sql`; `ready` runs before each call (pending migrations), null for a
 * transaction's store (each call's statement starts at once: {@link guardedBy}).
 */
export function createStore(
  sql: postgres.Sql | postgres.TransactionSql,
  ready: (() => Promise<void>) | null,
): Store {
  const guard = guardedBy(ready);
  return {
    ensureOwner: guard((ownerId) => owners.ensureOwner(sql, ownerId)),
    ownerDataVersion: guard((ownerId) => owners.ownerDataVersion(sql, ownerId)),
    listConversations: guard((ownerId, options) => conversations.listConversations(sql, ownerId, options)),
    listConversationPage: guard((ownerId, options) =>
      conversations.listConversationPage(sql, ownerId, options)
    ),
    createConversation: guard((ownerId, input) => conversations.createConversation(sql, ownerId, input)),
    getConversation: guard((ownerId, id) => conversations.getConversation(sql, ownerId, id)),
    updateConversation: guard((ownerId, id, patch) =>
      conversations.updateConversation(sql, ownerId, id, patch)
    ),
    deleteConversation: guard((ownerId, id) => conversations.deleteConversation(sql, ownerId, id)),
    appendMessage: guard((ownerId, conversationId, message) =>
      messages.appendMessage(sql, ownerId, conversationId, message)
    ),
    appendUnderLock: guard((conversationId, message) =>
      messages.appendUnderLock(sql, conversationId, message)
    ),
    appendExchange: guard((conversationId, user, reply) =>
      messages.appendExchange(sql, conversationId, user, reply)
    ),
    updateMessage: guard((messageId, patch) => messages.updateMessage(sql, messageId, patch)),
    currentPath: guard((ownerId, conversationId) => tree.currentPath(sql, ownerId, conversationId)),
    messagePath: guard((ownerId, conversationId, messageId) =>
      tree.messagePath(sql, ownerId, conversationId, messageId)
    ),
    listSiblings: guard((ownerId, conversationId, messageId) =>
      tree.listSiblings(sql, ownerId, conversationId, messageId)
    ),
    switchBranch: guard((ownerId, conversationId, messageId) =>
      tree.switchBranch(sql, ownerId, conversationId, messageId)
    ),
    lockForReply: guard((ownerId, conversationId) => replyLock.lockForReply(sql, ownerId, conversationId)),
    lockReplyPath: guard((ownerId, conversationId) => replyLock.lockReplyPath(sql, ownerId, conversationId)),
    listFolders: guard((ownerId) => folders.listFolders(sql, ownerId)),
    getFolder: guard((ownerId, id) => folders.getFolder(sql, ownerId, id)),
    createFolder: guard((ownerId, input) => folders.createFolder(sql, ownerId, input)),
    updateFolder: guard((ownerId, id, patch) => folders.updateFolder(sql, ownerId, id, patch)),
    deleteFolder: guard((ownerId, id) => folders.deleteFolder(sql, ownerId, id)),
    exportFolders: guard((ownerId) => transfer.exportFolders(sql, ownerId)),
    exportConversations: guard((ownerId, options) => transfer.exportConversations(sql, ownerId, options)),
    searchConversations: guard((ownerId, query, options) =>
      search.searchConversations(sql, ownerId, query, options)
    ),
  };
}
