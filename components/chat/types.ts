/**
 * Data the chat UI works with: what the server hands the `ChatApp` island as JSON props and what
 * the island keeps in state. Plain JSON shapes only (island props must be JSON data).
 */

/** Lifecycle of a message, as stored (`streaming` while the model writes it). */
export type MessageStatus = "complete" | "streaming" | "stopped" | "error";

/** One message shown in the conversation. */
export interface ChatMessage {
  /** Server id; a `local-…` id until the server's copy has been read back. */
  id: string;
  role: "user" | "assistant";
  content: string;
  status: MessageStatus;
  /** Error text shown under a failed reply (from the stream's `error` event). */
  error?: string;
  /** Ids of this message's versions (itself included, oldest first); absent until read from the server. */
  siblingIds?: string[];
  /** Files of a user message. */
  attachments?: AttachmentItem[];
  /** Tokens the model reported for a reply. */
  usage?: { promptTokens: number | null; completionTokens: number | null } | null;
}

/** A file on a message (bytes at `/api/attachments/:id`). */
export interface AttachmentItem {
  id: string;
  name: string;
  mimeType: string;
  size: number;
}

/** A conversation in the sidebar. */
export interface ConversationItem {
  id: string;
  title: string;
  updatedAt: string;
  /** The folder it is in (absent or null: none). */
  folderId?: string | null;
  pinned?: boolean;
  archived?: boolean;
}

/** A folder (project) in the sidebar. */
export interface FolderItem {
  id: string;
  name: string;
  /** Given to new conversations created in the folder. */
  systemPrompt: string;
  /** Given to new conversations created in the folder; null = the default model. */
  model: string | null;
  conversationCount: number;
}

/** Which conversations the sidebar lists. */
export type ListView = { kind: "all" } | { kind: "folder"; id: string } | { kind: "archived" };

/** The open conversation. */
export interface OpenConversation {
  id: string;
  title: string;
  systemPrompt: string;
  /** Model id, or null for the provider's default. */
  model: string | null;
  messages: ChatMessage[];
}

/** A model the picker offers. */
export interface ModelOption {
  id: string;
  label: string;
  /** What it reads besides text ("image", "pdf"); absent or empty = text only. */
  accepts?: ("image" | "pdf")[];
}

/** The model situation of the server. */
export interface ModelInfo {
  /** Label of the server's default model, e.g. "Gemini 2.5 Flash"; null without a model. */
  label: string | null;
  /** Id of the server's default model (what a conversation without a model uses); null without one. */
  defaultId?: string | null;
  /** Models offered (the default first); empty without a model. */
  models: ModelOption[];
  /** Shown as a banner when no model is configured. */
  unavailableMessage: string | null;
  /** The default model is the tiny local demonstration model (no hosted model is configured). */
  demo?: boolean;
}

/**
 * The server's voice situation, as the island needs it: which provider speaks and transcribes
 * (`"elevenlabs"` with a key on the server, `"browser"` without one) and the default voice id.
 * Never a key.
 */
export interface VoiceConfig {
  provider: "elevenlabs" | "browser";
  /** Voice the server uses when a request names none; null without a provider. */
  defaultVoiceId: string | null;
}

/** The signed-in account, in `AUTH_MODE=accounts`. */
export interface AccountInfo {
  username: string;
  isAdmin: boolean;
}

/** Props of the `ChatApp` island. */
export interface ChatAppProps {
  conversations: ConversationItem[];
  /** Cursor of the list's next page (`before`), null when everything is shown. */
  nextCursor?: string | null;
  /** The session's folders. */
  folders?: FolderItem[];
  /** On `/?folder=<id>`: the new chat is created in this folder (with its prompt and model). */
  newChatFolderId?: string | null;
  /** Null on `/` (a new chat). */
  conversation: OpenConversation | null;
  model: ModelInfo;
  /** Sidebar filter the page was rendered with (`?q=`). */
  query: string;
  theme?: "light" | "dark";
  /** Voice provider; absent = browser speech only. */
  voice?: VoiceConfig;
  /** The signed-in account; absent in `AUTH_MODE=open`. */
  account?: AccountInfo;
}
