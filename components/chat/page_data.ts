/**
 * Server side of the chat pages: loads what `ChatApp` needs for the session (conversation list,
 * the open conversation, the model situation). Runs only on the server.
 */
import type { ListedModel } from "../../lib/chat/registry.ts";
import type { Message } from "../../lib/db/mod.ts";
import { type AppState, NO_MODEL_MESSAGE } from "../../lib/services.ts";
import { attachmentsByMessage } from "../../lib/attachments/listing.ts";
import type { AttachmentItem, ChatAppProps, ChatMessage, ModelInfo, VoiceConfig } from "./types.ts";

/** Longest sidebar filter accepted from the URL. */
const MAX_QUERY = 200;

/**
 * The model picker's data from every provider's (cached) model list; the keys and base URLs never
 * leave the server, only ids, labels and capabilities.
 */
export async function modelInfo(state: AppState): Promise<ModelInfo> {
  const chat = state.services.chat;
  if (!chat) return NO_MODEL;
  const models = await chat.listModels();
  let info = modelInfos.get(models);
  if (!info) modelInfos.set(models, info = Object.freeze(toModelInfo(models, chat.defaultIn(models))));
  return info;
}

const NO_MODEL: ModelInfo = Object.freeze({
  label: null,
  defaultId: null,
  models: [],
  unavailableMessage: NO_MODEL_MESSAGE,
});

/** {@link modelInfo} per combined model list: the registry returns the same list while it holds. */
const modelInfos = new WeakMap<readonly ListedModel[], ModelInfo>();

function toModelInfo(models: readonly ListedModel[], fallback: ListedModel | null): ModelInfo {
  return {
    label: fallback?.label ?? null,
    defaultId: fallback?.id ?? null,
    models: models.map((m) => ({ id: m.id, label: m.label, accepts: [...(m.accepts ?? [])] })),
    unavailableMessage: fallback
      ? null
      : "No model is available right now: the configured model servers did not answer.",
    demo: fallback?.provider === "local",
  };
}

/** The voice provider for the island: its name and default voice id only, never the key. */
export function voiceConfig(state: AppState): VoiceConfig {
  const voice = state.services.voice;
  return voice
    ? { provider: "elevenlabs", defaultVoiceId: voice.defaultVoiceId }
    : { provider: "browser", defaultVoiceId: null };
}

/** A stored message as the UI shows it (with its versions, files and usage when it has them). */
export function toChatMessage(
  m: Pick<Message, "id" | "role" | "content" | "status"> & {
    siblingIds?: string[];
    usage?: Message["usage"];
  },
  attachments?: AttachmentItem[],
): ChatMessage {
  const message: ChatMessage = { id: m.id, role: m.role, content: m.content, status: m.status };
  if (m.siblingIds && m.siblingIds.length > 1) message.siblingIds = m.siblingIds;
  if (attachments?.length) message.attachments = attachments;
  if (m.usage) message.usage = m.usage;
  return message;
}

/**
 * Props for the chat page: `conversationId` null for a new chat. Returns null when the id is not
 * one of this session's conversations (the page answers 404). `model`: the model situation when the
 * caller already has it.
 */
export async function loadChatPage(
  state: AppState,
  url: URL,
  conversationId: string | null,
  model?: ModelInfo,
): Promise<ChatAppProps | null> {
  const { db } = state.services;
  const query = (url.searchParams.get("q") ?? "").slice(0, MAX_QUERY);
  const folderParam = url.searchParams.get("folder");
  const filter = { query: query || undefined, archived: false };
  // Sequential: PGlite serves one query at a time anyway, and a pool may be small.
  const pinned = await db.listConversationPage(state.sessionId, { ...filter, pinned: true, limit: 100 });
  const rest = await db.listConversationPage(state.sessionId, { ...filter, pinned: false, limit: 100 });
  const folders = await db.listFolders(state.sessionId);
  const open = conversationId ? await db.getConversation(state.sessionId, conversationId) : null;
  if (conversationId && !open) return null;
  const list = [...pinned.conversations, ...rest.conversations];
  const files = open ? await attachmentsByMessage(db.sql, state.sessionId, open.messages) : new Map();
  model ??= await modelInfo(state);
  return {
    // Only what differs from the defaults (no folder, not pinned, not archived): the props travel
    // in every page.
    conversations: list.map((c) => ({
      id: c.id,
      title: c.title,
      updatedAt: c.updatedAt,
      ...(c.folderId ? { folderId: c.folderId } : {}),
      ...(c.pinned ? { pinned: true } : {}),
      ...(c.archived ? { archived: true } : {}),
    })),
    nextCursor: rest.nextCursor,
    folders: folders.map((f) => ({
      id: f.id,
      name: f.name,
      systemPrompt: f.systemPrompt,
      model: f.model,
      conversationCount: f.conversationCount,
    })),
    newChatFolderId: !conversationId && folders.some((f) => f.id === folderParam) ? folderParam : null,
    conversation: open
      ? {
        id: open.id,
        title: open.title,
        systemPrompt: open.systemPrompt,
        model: open.model,
        messages: open.messages.map((m) => toChatMessage(m, files.get(m.id))),
      }
      : null,
    model,
    query,
    theme: state.theme,
    voice: voiceConfig(state),
    ...(state.user ? { account: { username: state.user.username, isAdmin: state.user.isAdmin } } : {}),
  };
}
