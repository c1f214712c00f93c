/**
 * open-webui chat export ("Export chats" / a chat's "Export chat (.json)"): an array of
 * `{ id, title, chat: { history: { messages: { [id]: { id, parentId, role, content, timestamp } },
 * currentId } }, created_at, updated_at, pinned, archived }`. Kept: user and assistant messages of
 * every branch; left out, and reported: system messages and empty ones. Entries without
 * `chat.history` fall back to the linear `chat.messages` list.
 */
import { buildTree, type GraphNode } from "./tree.ts";
import { asRecord, cleanText, cleanTitle, type Converted, type Skip, toDate } from "./types.ts";

/** True when `entry` looks like an open-webui chat. */
export function isOpenWebUiEntry(entry: Record<string, unknown>): boolean {
  const chat = asRecord(entry.chat);
  return chat !== null && ("history" in chat || "messages" in chat);
}

/** Converts one chat; `index` names it in the report when it has no title. */
export function convertOpenWebUi(entry: Record<string, unknown>, index: number): Converted {
  const chat = asRecord(entry.chat)!;
  const title = cleanTitle(entry.title ?? chat.title, `open-webui chat ${index + 1}`);
  const where = `“${title}”`;
  const id = typeof entry.id === "string" ? entry.id : typeof chat.id === "string" ? chat.id : null;
  if (!id) return { kind: "skipped", skipped: [{ reason: "chat without an id", where }] };
  const skipped: Skip[] = [];
  const skip = (reason: string) => skipped.push({ reason, where });
  const history = asRecord(chat.history);
  const rawMessages = asRecord(history?.messages);
  const nodes: GraphNode[] = [];
  let leaf: string | null = null;
  if (rawMessages) {
    let position = 0;
    for (const [key, raw] of Object.entries(rawMessages)) {
      position++;
      const m = asRecord(raw);
      if (!m) {
        skip("malformed message");
        continue;
      }
      nodes.push(node(m, key, typeof m.parentId === "string" ? m.parentId : null, position, skip));
    }
    leaf = typeof history?.currentId === "string" ? history.currentId : null;
  } else if (Array.isArray(chat.messages)) {
    let previous: string | null = null;
    chat.messages.forEach((raw, i) => {
      const m = asRecord(raw);
      if (!m) return skip("malformed message");
      const key = typeof m.id === "string" ? m.id : `message-${i}`;
      nodes.push(node(m, key, previous, i, skip));
      previous = key;
    });
  } else {
    return { kind: "skipped", skipped: [{ reason: "chat without messages (corrupted entry)", where }] };
  }
  const { messages, leafKey } = buildTree(nodes, leaf);
  if (messages.length === 0) skip("chat with no user or assistant message");
  const createdAt = toDate(entry.created_at) ?? toDate(chat.timestamp);
  return {
    kind: "conversation",
    skipped,
    conversation: {
      source: `open-webui:${id}`,
      title,
      titleSource: "custom",
      systemPrompt: typeof asRecord(chat.params)?.system === "string"
        ? cleanText(asRecord(chat.params)!.system as string).slice(0, 8000)
        : "",
      model: null,
      folder: null,
      pinned: entry.pinned === true,
      archived: entry.archived === true,
      createdAt,
      updatedAt: toDate(entry.updated_at) ?? createdAt,
      messages,
      currentLeafKey: leafKey,
    },
  };
}

function node(
  m: Record<string, unknown>,
  key: string,
  parentId: string | null,
  position: number,
  skip: (reason: string) => void,
): GraphNode {
  const id = typeof m.id === "string" ? m.id : key;
  const created = toDate(m.timestamp);
  const base = { id, parentId, order: created ? created.getTime() : position };
  if (m.role === "system") {
    skip("system message");
    return { ...base, message: null };
  }
  if (m.role !== "user" && m.role !== "assistant") {
    skip(`message with role ${JSON.stringify(m.role ?? null)}`);
    return { ...base, message: null };
  }
  const content = typeof m.content === "string" ? cleanText(m.content) : "";
  if (content.trim() === "") {
    skip("empty message");
    return { ...base, message: null };
  }
  return {
    ...base,
    message: {
      role: m.role,
      content,
      status: m.error ? "error" : "complete",
      usage: null,
      createdAt: created,
      updatedAt: created,
    },
  };
}
