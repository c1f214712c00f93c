/** Public entry of the conversation store: open it with {@link openDatabase}. */
export {
  type Database,
  type DatabaseHealth,
  type Engine,
  openDatabase,
  type OpenDatabaseOptions,
} from "./client.ts";
export {
  type ConnectionOptions,
  deriveConnectionOptions,
  type PoolSettings,
  type SslSetting,
} from "./connection_options.ts";
export {
  type Conversation,
  type ConversationPatch,
  type ConversationSummary,
  type ConversationWithMessages,
  type ListOptions,
  type NewConversation,
  type TitleSource,
} from "./conversations.ts";
export { type EmbeddedTransport } from "./embedded.ts";
export {
  DatabaseError,
  type DatabaseErrorCode,
  DatabaseUnavailableError,
  InvalidInputError,
  isConnectionError,
} from "./errors.ts";
export { isUuid } from "./ids.ts";
export {
  type Message,
  type MessagePatch,
  type MessageRole,
  type MessageStatus,
  type NewMessage,
  type TokenUsage,
} from "./messages.ts";
export { type ReplyLock } from "./reply_lock.ts";
export { type PathMessage } from "./tree.ts";
export { type Owner } from "./owners.ts";
export { type Store } from "./store.ts";
export { autoTitle, DEFAULT_TITLE, MAX_TITLE_LENGTH } from "./title.ts";
