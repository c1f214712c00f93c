/**
 * ChatGPT data export (`conversations.json`): an array of conversations, each a `mapping` of nodes
 * (`id`, `message`, `parent`, `children`) with `current_node` as the shown leaf. Kept: user and
 * assistant messages whose content is text, multimodal text (images become a placeholder) or code;
 * every branch. Left out, and reported: hidden messages (`weight` 0 or
 * `metadata.is_visually_hidden_from_conversation`), system and tool messages, assistant messages
 * addressed to a tool (`recipient` other than `all`), reasoning (`thoughts`, `reasoning_recap`),
 * other content types, and empty messages.
 */
import { buildTree, type GraphNode } from "./tree.ts";
import { asRecord, cleanText, cleanTitle, type Converted, type Skip, toDate } from "./types.ts";

/** True when `entry` looks like a ChatGPT conversation (has `mapping`, or its other fields). */
export function isChatGptEntry(entry: Record<string, unknown>): boolean {
  return "mapping" in entry || ("current_node" in entry && "title" in entry) ||
    ("conversation_id" in entry && "create_time" in entry);
}

const REASONING = new Set(["thoughts", "reasoning_recap"]);

/** Converts one conversation; `index` names it in the report when it has no title. */
export function convertChatGpt(entry: Record<string, unknown>, index: number): Converted {
  const title = cleanTitle(entry.title, `ChatGPT conversation ${index + 1}`);
  const where = `“${title}”`;
  const mapping = asRecord(entry.mapping);
  const id = typeof entry.id === "string"
    ? entry.id
    : typeof entry.conversation_id === "string"
    ? entry.conversation_id
    : null;
  if (!mapping) {
    return {
      kind: "skipped",
      skipped: [{ reason: "conversation without a mapping (corrupted entry)", where }],
    };
  }
  if (!id) return { kind: "skipped", skipped: [{ reason: "conversation without an id", where }] };
  const skipped: Skip[] = [];
  const skip = (reason: string) => skipped.push({ reason, where });
  const nodes: GraphNode[] = [];
  let position = 0;
  for (const [key, raw] of Object.entries(mapping)) {
    const node = asRecord(raw);
    position++;
    if (!node) {
      skip("malformed node");
      continue;
    }
    const nodeId = typeof node.id === "string" ? node.id : key;
    const parentId = typeof node.parent === "string" ? node.parent : null;
    const message = asRecord(node.message);
    const created = toDate(message?.create_time);
    const kept = message ? convertMessage(message, skip) : null;
    nodes.push({
      id: nodeId,
      parentId,
      message: kept,
      order: created ? created.getTime() : position,
    });
  }
  const currentNode = typeof entry.current_node === "string" ? entry.current_node : null;
  const { messages, leafKey } = buildTree(nodes, currentNode);
  if (messages.length === 0) skip("conversation with no user or assistant message");
  const createdAt = toDate(entry.create_time);
  return {
    kind: "conversation",
    skipped,
    conversation: {
      source: `chatgpt:${id}`,
      title,
      titleSource: "custom",
      systemPrompt: "",
      model: null,
      folder: null,
      pinned: false,
      archived: entry.is_archived === true,
      createdAt,
      updatedAt: toDate(entry.update_time) ?? createdAt,
      messages,
      currentLeafKey: leafKey,
    },
  };
}

function convertMessage(
  message: Record<string, unknown>,
  skip: (reason: string) => void,
): GraphNode["message"] {
  const author = asRecord(message.author);
  const role = author?.role;
  const metadata = asRecord(message.metadata);
  const content = asRecord(message.content);
  const type = typeof content?.content_type === "string" ? content.content_type : "unknown";
  if (message.weight === 0 || metadata?.is_visually_hidden_from_conversation === true) {
    skip("hidden message");
    return null;
  }
  if (role === "system") {
    skip("system message");
    return null;
  }
  if (role === "tool") {
    skip("tool message");
    return null;
  }
  if (role !== "user" && role !== "assistant") {
    skip(`message with role ${JSON.stringify(role ?? null)}`);
    return null;
  }
  if (REASONING.has(type)) {
    skip(`reasoning (${type})`);
    return null;
  }
  if (role === "assistant" && typeof message.recipient === "string" && message.recipient !== "all") {
    skip("assistant message addressed to a tool");
    return null;
  }
  let text: string;
  if (type === "text" || type === "multimodal_text") {
    const parts = Array.isArray(content?.parts) ? content.parts : [];
    const pieces: string[] = [];
    for (const part of parts) {
      if (typeof part === "string") pieces.push(part);
      else {
        const p = asRecord(part);
        const kind = typeof p?.content_type === "string" ? p.content_type : "part";
        if (kind === "image_asset_pointer") {
          pieces.push("[image]");
          skip("image (its file is not in conversations.json; a placeholder is kept)");
        } else if (kind === "audio_transcription" && typeof p?.text === "string") {
          pieces.push(p.text);
        } else {
          pieces.push(`[${kind}]`);
          skip(`${kind} part (a placeholder is kept)`);
        }
      }
    }
    text = pieces.join("\n\n");
  } else if (type === "code") {
    const language = typeof content?.language === "string" && content.language !== "unknown"
      ? content.language
      : "";
    text = "```" + language + "\n" + String(content?.text ?? "") + "\n```";
  } else {
    skip(`${type} content`);
    return null;
  }
  text = cleanText(text);
  if (text.trim() === "") {
    skip("empty message");
    return null;
  }
  // A reply the export caught mid-way is kept as stopped.
  const status = message.status === "in_progress" ? "stopped" : "complete";
  const created = toDate(message.create_time);
  return {
    role,
    content: text,
    status,
    usage: null,
    createdAt: created,
    updatedAt: toDate(message.update_time) ?? created,
  };
}
