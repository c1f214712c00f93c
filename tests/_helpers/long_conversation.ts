/**
 * A long conversation written through the store, the one whose `GET /c/:id` `bench/http.bench.ts`
 * measures and the page-weight tests check: user messages of 20 words, replies of 80, alternating.
 */
import type { Store } from "../../lib/db/store.ts";

/** Deterministic filler text (seeded), `words` words long. */
export function fillerText(seed: number, words: number): string {
  const vocab = ["the", "model", "answer", "token", "server", "page", "cache", "query", "list", "row"];
  let x = seed * 2654435761 >>> 0;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(vocab[x % vocab.length]);
  }
  return out.join(" ");
}

/** What {@link seedLongConversation} wrote. */
export interface LongConversation {
  id: string;
  /** The messages' ids, in order. */
  ids: string[];
  /** The messages' contents, in order. */
  contents: string[];
}

/**
 * Writes a conversation titled `title` with `messages` messages (user first, then alternating)
 * for `ownerId`.
 */
export async function seedLongConversation(
  db: Pick<Store, "createConversation" | "appendMessage">,
  ownerId: string,
  messages: number,
  title = "A long conversation",
): Promise<LongConversation> {
  const conversation = await db.createConversation(ownerId, { title });
  const ids: string[] = [];
  const contents: string[] = [];
  for (let i = 0; i < messages; i++) {
    const content = fillerText(i, i % 2 === 0 ? 20 : 80);
    const role = i % 2 === 0 ? "user" : "assistant";
    const message = await db.appendMessage(ownerId, conversation.id, { role, content });
    if (!message) throw new Error(`message ${i} was not stored`);
    ids.push(message.id);
    contents.push(content);
  }
  return { id: conversation.id, ids, contents };
}
