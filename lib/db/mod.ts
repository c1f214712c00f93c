/** Public entry of the conversation store: open it with {@link openDatabase}. */
export {
  type Database,
  type DatabaseHealth,
  type Engine,
  openDatabase,
  type OpenDatabaseOptions,
} from "./client.ts";
export {
  type PipelinedCommit,
  type TransactionEnd,
  TransactionEndedError,
  TransactionRolledBackError,
} from "./pipelined_transaction.ts";
export {
  type ConnectionOptions,
  deriveConnectionOptions,
  type PoolSettings,
  type SslSetting,
} from "./connection_options.ts";
export {
  type Conversation,
  type ConversationPage,
  type ConversationPatch,
  type ConversationSummary,
  type ConversationWithMessages,
  type ListOptions,
  type NewConversation,
  type TitleSource,
} from "./conversations.ts";
export {
  DatabaseError,
  type DatabaseErrorCode,
  DatabaseUnavailableError,
  InvalidInputError,
  isConnectionError,
  NotFoundError,
} from "./errors.ts";
export { type Folder, type FolderPatch, MAX_FOLDER_NAME_LENGTH, type NewFolder } from "./folders.ts";
export { isUuid } from "./ids.ts";
export {
  type Message,
  type MessagePatch,
  type MessageRole,
  type MessageStatus,
  type NewMessage,
  type TokenUsage,
} from "./messages.ts";
export { type PathRow, type ReplyLock, type ReplyPathLock } from "./reply_lock.ts";
export { type PathMessage } from "./tree.ts";
export { type Owner } from "./owners.ts";
export {
  MAX_QUERY_CHARS,
  MAX_QUERY_TERMS,
  type SearchHit,
  type SearchOptions,
  type Segment,
} from "./search.ts";
export { type Store } from "./store.ts";
export { autoTitle, DEFAULT_TITLE, MAX_TITLE_LENGTH } from "./title.ts";
