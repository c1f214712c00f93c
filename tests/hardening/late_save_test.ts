/**
 * Replies survive database outages longer than the final save's quick retries: the stream ends
 * with a clear `database_unavailable` event, the save goes on in the background and stores the
 * whole reply once the database answers; replies a dead process left `streaming` are marked
 * `error` by the stale-reply sweep.
 */
import assert from "node:assert/strict";
import type { ChatProvider } from "../../lib/chat/provider.ts";
import { streamReply } from "../../lib/chat/reply.ts";
import { type Message, openDatabase, type Store } from "../../lib/db/mod.ts";
import { markStaleReplies } from "../../lib/db/stale_replies.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { parseSse } from "../_helpers/sse.ts";

const provider: ChatProvider = {
  id: "fake",
  label: "Fake",
  defaultModel: "fake",
  models: [],
  async *stream() {
    for (const text of ["one", " two", " three"]) yield { type: "text" as const, text };
  },
  health: () => Promise.resolve({ ok: true, latencyMs: 0 }),
};

Deno.test("a final save that fails past the quick retries is completed in the background", async () => {
  let down = true;
  const rows = new Map<string, Message>();
  const store = {
    appendMessage(
      _owner: string,
      conversationId: string,
      m: { role: "assistant"; content: string; status: "streaming" },
    ) {
      const msg = { id: crypto.randomUUID(), conversationId, ...m } as unknown as Message;
      rows.set(msg.id, msg);
      return Promise.resolve(msg);
    },
    updateMessage(id: string, patch: Partial<Message>) {
      if (down) return Promise.reject(Object.assign(new Error("down"), { code: "database_unavailable" }));
      const next = { ...rows.get(id)!, ...patch } as Message;
      rows.set(id, next);
      return Promise.resolve(next);
    },
  } as unknown as Store;
  const res = await streamReply({
    store,
    provider,
    ownerId: "o",
    conversationId: "c",
    systemPrompt: "",
    history: [{ role: "user", content: "hi" }],
    shutdownSignal: new AbortController().signal,
    saveRetry: { quickDelaysMs: [0, 10], lateEveryMs: 30, lateForMs: 5000 },
  });
  const events = parseSse(await res.text());
  assert.equal(events.at(-1)!.event, "error");
  assert.equal(events.at(-1)!.data.code, "database_unavailable");
  const [id] = rows.keys();
  assert.equal(rows.get(id)!.status, "streaming");
  down = false;
  const end = Date.now() + 3000;
  while (rows.get(id)!.status === "streaming" && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(rows.get(id)!.status, "complete");
  assert.equal(rows.get(id)!.content, "one two three");
});

Deno.test({
  name: "replies left streaming for 10 minutes are marked error; live ones are left alone",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await freshDataDir();
    const db = await openDatabase({ dataDir });
    try {
      const conv = await db.createConversation("owner-stale", {});
      const old = await db.appendMessage("owner-stale", conv.id, {
        role: "assistant",
        content: "half",
        status: "streaming",
      });
      const live = await db.appendMessage("owner-stale", conv.id, {
        role: "assistant",
        content: "on",
        status: "streaming",
      });
      await db.sql`update messages set updated_at = now() - interval '11 minutes' where id = ${old!.id}`;
      assert.equal(await markStaleReplies(db.sql), 1);
      const got = await db.getConversation("owner-stale", conv.id);
      assert.deepEqual(got!.messages.map((m) => [m.content, m.status]), [["half", "error"], [
        "on",
        "streaming",
      ]]);
      assert.equal(await markStaleReplies(db.sql), 0);
      assert.ok(live);
    } finally {
      await db.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
