/**
 * Exports in the documented format (docs/export-format.md): everything as one JSON document
 * streamed page by page, one conversation as JSON (the same document with one conversation), and
 * one conversation as Markdown (the branch it shows).
 */
import type { Store } from "../db/store.ts";
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportedConversation,
  type ExportedFolder,
  type ExportHeader,
} from "./format.ts";

/** Conversations read per page while streaming an export. */
export const EXPORT_PAGE_SIZE = 20;

/** The header of a document written now. */
export function exportHeader(now = new Date()): ExportHeader {
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: now.toISOString() };
}

/**
 * The owner's folders and conversations as one JSON document, written conversation by conversation
 * while reading pages of {@link EXPORT_PAGE_SIZE}: memory holds one page, whatever the history's
 * size. The next page is read only when the consumer wants more (backpressure).
 */
export function exportEverything(
  store: Pick<Store, "exportFolders" | "exportConversations">,
  ownerId: string,
  options: { pageSize?: number; now?: Date } = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
  let cursor: string | null = null;
  let started = false;
  let first = true;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        const folders = await store.exportFolders(ownerId);
        const head = JSON.stringify(exportHeader(options.now));
        controller.enqueue(
          encoder.encode(`${head.slice(0, -1)},"folders":${JSON.stringify(folders)},"conversations":[`),
        );
        return;
      }
      if (done) return;
      const page = await store.exportConversations(ownerId, { afterId: cursor, limit: pageSize });
      let text = "";
      for (const conversation of page) {
        text += (first ? "\n" : ",\n") + JSON.stringify(conversation);
        first = false;
      }
      if (page.length < pageSize) {
        done = true;
        controller.enqueue(encoder.encode(`${text}\n]}\n`));
        controller.close();
        return;
      }
      cursor = page[page.length - 1].id;
      controller.enqueue(encoder.encode(text));
    },
  }, { highWaterMark: 1 });
}

/** One conversation (and its folder, if any) as a complete export document. */
export function conversationDocument(
  conversation: ExportedConversation,
  folders: ExportedFolder[],
  now = new Date(),
): string {
  const folder = folders.filter((f) => f.id === conversation.folderId);
  return JSON.stringify({ ...exportHeader(now), folders: folder, conversations: [conversation] }, null, 2) +
    "\n";
}

/** The messages from the root to the conversation's current leaf (the branch it shows). */
export function shownBranch(conversation: ExportedConversation): ExportedConversation["messages"] {
  const byId = new Map(conversation.messages.map((m) => [m.id, m]));
  const path = [];
  const seen = new Set<string>();
  for (let id = conversation.currentLeafId; id !== null && !seen.has(id);) {
    seen.add(id);
    const m = byId.get(id);
    if (!m) break;
    path.push(m);
    id = m.parentId;
  }
  return path.reverse();
}

/** One conversation as Markdown: title, settings, then the shown branch's messages in order. */
export function conversationMarkdown(conversation: ExportedConversation): string {
  const lines = [`# ${conversation.title}`, ""];
  lines.push(`- Created: ${conversation.createdAt}`);
  if (conversation.model) lines.push(`- Model: ${conversation.model}`);
  if (conversation.systemPrompt) {
    lines.push("- System prompt:", "", ...conversation.systemPrompt.split("\n").map((l) => `  > ${l}`));
  }
  const branch = shownBranch(conversation);
  const others = conversation.messages.length - branch.length;
  if (others > 0) {
    lines.push(
      `- ${others} message${others === 1 ? "" : "s"} on other branches not shown (the JSON export has them)`,
    );
  }
  for (const m of branch) {
    const status = m.status === "complete" ? "" : ` (${m.status})`;
    lines.push("", "---", "", `## ${m.role === "user" ? "You" : "Assistant"}${status}`, "", m.content);
  }
  return lines.join("\n") + "\n";
}

/** A file name for `title`: ASCII letters, digits and dashes, at most 60 characters. */
export function fileNameFor(title: string, extension: string): string {
  const slug = title.normalize("NFKD").replace(/[^\x20-\x7e]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60).replace(/-+$/, "");
  return `${slug || "conversation"}.${extension}`;
}
