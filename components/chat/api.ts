/**
 * Browser-side calls to the conversation API (DESIGN.md's contract). JSON errors become
 * {@link ApiError}s carrying the server's `code`; replies stream through {@link streamReply}.
 */
import { ApiError, apiFailure as failure, callJson as call, reach } from "../api_client.ts";
import { readSse } from "./sse.ts";
import type {
  AttachmentItem,
  ChatMessage,
  ConversationItem,
  FolderItem,
  ListView,
  OpenConversation,
} from "./types.ts";

export { ApiError };

/** Conversations of this session, newest first; `query` filters by title. */
export function listConversations(query = ""): Promise<ConversationItem[]> {
  return call("GET", `/api/conversations${query ? `?q=${encodeURIComponent(query)}` : ""}`);
}

/** Sidebar rows plus the cursor of the next page. */
export interface ListPage {
  items: ConversationItem[];
  nextCursor: string | null;
}

async function page(params: URLSearchParams): Promise<ListPage> {
  const res = await reach(`/api/conversations?${params}`);
  if (!res.ok) throw await failure(res);
  return { items: await res.json() as ConversationItem[], nextCursor: res.headers.get("x-next-cursor") };
}

/**
 * The sidebar's rows for `view`: on the first page the pinned conversations come first (all of them,
 * up to 100), then the newest others; with `before`, the next page of the others.
 */
export async function listView(view: ListView, query = "", before?: string): Promise<ListPage> {
  const base = new URLSearchParams({ limit: "100" });
  if (query) base.set("q", query);
  if (view.kind === "folder") base.set("folder", view.id);
  base.set("archived", view.kind === "archived" ? "true" : "false");
  if (view.kind === "archived") {
    if (before) base.set("before", before);
    return await page(base);
  }
  const rest = new URLSearchParams(base);
  rest.set("pinned", "false");
  if (before) {
    rest.set("before", before);
    return await page(rest);
  }
  const pinned = new URLSearchParams(base);
  pinned.set("pinned", "true");
  const [top, others] = await Promise.all([page(pinned), page(rest)]);
  return { items: [...top.items, ...others.items], nextCursor: others.nextCursor };
}

/** The session's folders, oldest first. */
export function listFolders(): Promise<FolderItem[]> {
  return call("GET", "/api/folders");
}

/** Creates a folder. */
export function createFolder(
  init: { name: string; systemPrompt?: string; model?: string | null },
): Promise<FolderItem> {
  return call("POST", "/api/folders", init);
}

/** Renames a folder or changes its defaults. */
export function updateFolder(
  id: string,
  patch: { name?: string; systemPrompt?: string; model?: string | null },
): Promise<FolderItem> {
  return call("PATCH", `/api/folders/${id}`, patch);
}

/** Deletes a folder; its conversations move out of it. */
export function deleteFolder(id: string): Promise<void> {
  return call("DELETE", `/api/folders/${id}`);
}

/** Moves a conversation into a folder (null: out of any), pins or archives it. */
export function placeConversation(
  id: string,
  patch: { folderId?: string | null; pinned?: boolean; archived?: boolean },
): Promise<ConversationItem> {
  return call("PATCH", `/api/conversations/${id}`, patch);
}

/** Creates a conversation. */
export function createConversation(
  init: { systemPrompt?: string; model?: string | null; folderId?: string },
): Promise<ConversationItem & { systemPrompt: string; model: string | null }> {
  return call("POST", "/api/conversations", init);
}

/** A conversation as the server sends it, reduced to what the UI keeps. */
function openConversation(c: OpenConversation): OpenConversation {
  return {
    id: c.id,
    title: c.title,
    systemPrompt: c.systemPrompt,
    model: c.model,
    messages: c.messages.map((m) => {
      const message: ChatMessage = { id: m.id, role: m.role, content: m.content, status: m.status };
      if (m.siblingIds && m.siblingIds.length > 1) message.siblingIds = m.siblingIds;
      if (m.attachments?.length) message.attachments = m.attachments;
      if (m.usage) message.usage = m.usage;
      return message;
    }),
  };
}

/** Reads a conversation with the messages of its current branch. */
export async function getConversation(id: string): Promise<OpenConversation> {
  return openConversation(await call<OpenConversation>("GET", `/api/conversations/${id}`));
}

/** Shows (and stores) the branch through `messageId`; resolves with the conversation as now shown. */
export async function switchBranch(id: string, messageId: string): Promise<OpenConversation> {
  return openConversation(
    await call<OpenConversation>("POST", `/api/conversations/${id}/branch`, { messageId }),
  );
}

/** Stores a reply's edited text as its new version; resolves with the conversation as now shown. */
export async function reviseReply(id: string, messageId: string, content: string): Promise<OpenConversation> {
  return openConversation(
    await call<OpenConversation>("POST", `/api/conversations/${id}/versions`, { messageId, content }),
  );
}

/** Uploads one file (`POST /api/attachments`). */
export async function uploadAttachment(file: File): Promise<AttachmentItem> {
  const form = new FormData();
  form.set("file", file, file.name || "pasted-image");
  const res = await reach("/api/attachments", { method: "POST", body: form });
  if (!res.ok) throw await failure(res);
  return await res.json() as AttachmentItem;
}

/** Removes an upload that was not sent. */
export function deleteAttachment(id: string): Promise<void> {
  return call("DELETE", `/api/attachments/${id}`);
}

/** Changes title, system prompt or model. */
export function updateConversation(
  id: string,
  patch: { title?: string; systemPrompt?: string; model?: string | null },
): Promise<ConversationItem> {
  return call("PATCH", `/api/conversations/${id}`, patch);
}

/** Deletes a conversation. */
export function deleteConversation(id: string): Promise<void> {
  return call("DELETE", `/api/conversations/${id}`);
}

/** How a reply stream ended. */
export type ReplyEnd =
  | { kind: "done"; messageId: string | null; status: string }
  | {
    kind: "error";
    code: string;
    message: string;
    messageId: string | null;
    /** True when the request was refused before any stream began (nothing was stored). */
    refused: boolean;
  }
  | { kind: "stopped"; messageId: string | null };

/** What to stream: a new message, a regenerated reply, an edit of a user message, or more of a stopped reply. */
export type ReplyRequest =
  | { kind: "send"; content: string; parentId?: string; attachmentIds?: string[] }
  | { kind: "regenerate"; messageId?: string }
  | { kind: "edit"; messageId: string; content: string }
  | { kind: "continue"; messageId: string };

/** Callbacks and controls of a reply being received. */
export interface ReplyWatch {
  /** Each piece of text, in order, without gaps or repeats. */
  onToken(text: string): void;
  /** The reply's message id, as soon as the server names it. */
  onStart?(messageId: string): void;
  /** Aborting stops listening (the reply goes on on the server); resolves as `stopped`. */
  signal: AbortSignal;
}

/** How often a broken reply stream is reattached before giving up. */
const REATTACH_ATTEMPTS = 5;

/**
 * Starts a reply and calls `onToken` for each piece of text. Resolves with how it ended. The
 * reply runs on the server whatever happens to this connection: a broken stream is reattached
 * from the last offset received (no text is lost or repeated); Stop is {@link stopReply}. Errors
 * before the stream starts (400, 404, 413, 429, network) resolve as a refused `error`.
 */
export async function streamReply(
  conversationId: string,
  request: ReplyRequest,
  watch: ReplyWatch,
): Promise<ReplyEnd> {
  const base = `/api/conversations/${conversationId}`;
  const [path, body] = request.kind === "send"
    ? [
      `${base}/messages`,
      request.attachmentIds?.length
        ? { content: request.content, parentId: request.parentId, attachmentIds: request.attachmentIds }
        : { content: request.content, parentId: request.parentId },
    ]
    : request.kind === "edit"
    ? [`${base}/edit`, { messageId: request.messageId, content: request.content }]
    : request.kind === "continue"
    ? [`${base}/continue`, { messageId: request.messageId }]
    : [`${base}/regenerate`, request.messageId ? { messageId: request.messageId } : undefined];
  let res: Response;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: body ? { "content-type": "application/json", accept: "text/event-stream" } : {
        accept: "text/event-stream",
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: watch.signal,
    });
  } catch (error) {
    if (watch.signal.aborted) return { kind: "stopped", messageId: null };
    return {
      kind: "error",
      code: "network",
      message: `The server could not be reached: ${error instanceof Error ? error.message : String(error)}`,
      messageId: null,
      refused: true,
    };
  }
  if (!res.ok || !res.body) {
    const err = await failure(res);
    return { kind: "error", code: err.code, message: err.message, messageId: null, refused: true };
  }
  const messageId = res.headers.get("x-message-id");
  if (messageId) watch.onStart?.(messageId);
  const first = await readReply(res.body, messageId, 0, watch);
  if (first.end || !messageId) {
    return first.end ??
      { kind: "error", code: "stream_ended", message: "The reply ended early.", messageId, refused: false };
  }
  return await followReply(conversationId, messageId, first.offset, watch);
}

/**
 * Follows a reply that is (or was) being written, from code point `offset` on (the length of
 * the text already shown): the rest arrives through `onToken`. Reattaches after a broken stream.
 */
export async function followReply(
  conversationId: string,
  messageId: string,
  offset: number,
  watch: ReplyWatch,
): Promise<ReplyEnd> {
  const path = `/api/conversations/${conversationId}/messages/${messageId}/stream`;
  let failureMessage = "The connection broke.";
  for (let attempt = 0; attempt < REATTACH_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * attempt));
    if (watch.signal.aborted) return { kind: "stopped", messageId };
    try {
      const res = await fetch(`${path}?offset=${offset}`, {
        headers: { accept: "text/event-stream" },
        signal: watch.signal,
      });
      if (!res.ok || !res.body) {
        const err = await failure(res);
        return { kind: "error", code: err.code, message: err.message, messageId, refused: false };
      }
      const part = await readReply(res.body, messageId, offset, watch);
      if (part.end) return part.end;
      if (part.offset > offset) attempt = -1;
      offset = part.offset;
    } catch (error) {
      failureMessage = `The connection broke: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (watch.signal.aborted) return { kind: "stopped", messageId };
  return { kind: "error", code: "network", message: failureMessage, messageId, refused: false };
}

/** Reads one reply stream; `end` is null when it broke before its final event. */
async function readReply(
  body: ReadableStream<Uint8Array>,
  messageId: string | null,
  offset: number,
  watch: ReplyWatch,
): Promise<{ end: ReplyEnd | null; offset: number }> {
  let end: ReplyEnd | null = null;
  try {
    await readSse(body, ({ event, data, id }) => {
      const payload = JSON.parse(data) as Record<string, unknown>;
      if (event === "token") {
        watch.onToken(String(payload.text ?? ""));
        if (/^\d+$/.test(id)) offset = Number(id);
      } else if (event === "done") {
        end = {
          kind: "done",
          messageId: String(payload.messageId ?? messageId),
          status: String(payload.status),
        };
      } else if (event === "error") {
        end = {
          kind: "error",
          code: String(payload.code ?? "error"),
          message: String(payload.message ?? "The reply failed."),
          messageId: typeof payload.messageId === "string" ? payload.messageId : messageId,
          refused: false,
        };
      }
    });
  } catch {
    if (watch.signal.aborted) return { end: { kind: "stopped", messageId }, offset };
  }
  return { end, offset };
}

/** Asks the server to stop a reply (it may run in another tab or on another instance). */
export function stopReply(conversationId: string, messageId: string): Promise<unknown> {
  return call("POST", `/api/conversations/${conversationId}/messages/${messageId}/stop`);
}

/** Length of `text` in Unicode code points (the unit of reply offsets). */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** A piece of a search snippet; `mark` on the words that matched. */
export interface SearchSegment {
  text: string;
  mark: boolean;
}

/** One result of `GET /api/search`. */
export interface SearchResult {
  conversationId: string;
  messageId: string | null;
  role: "user" | "assistant" | null;
  title: SearchSegment[];
  snippet: SearchSegment[];
  createdAt: string;
  archived: boolean;
  folderId: string | null;
}

/** Searches this session's titles and messages (every word as a prefix). */
export async function searchConversations(query: string, signal?: AbortSignal): Promise<SearchResult[]> {
  let res: Response;
  try {
    res = await fetch(`/api/search?q=${encodeURIComponent(query.slice(0, 200))}`, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError("network", "The server could not be reached.");
  }
  if (!res.ok) throw await failure(res);
  return ((await res.json()) as { results: SearchResult[] }).results;
}
