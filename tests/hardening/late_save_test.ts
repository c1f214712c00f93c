/**
 * Replies survive database outages longer than the final save's quick retries: the stream ends
 * with a clear `database_unavailable` event, the save goes on in the background and stores the
 * whole reply once the database answers; replies a dead process left `streaming` (no heartbeat
 * for 30 s) are marked `error` by the stale-reply sweep.
 */
import assert from "node:assert/strict";
import type { ChatProvider } from "../../lib/chat/provider.ts";
import { startReply } from "../../lib/chat/reply.ts";
import { type Message, openDatabase, type Store } from "../../lib/db/mod.ts";
import type { ReplyStore } from "../../lib/db/replies.ts";
import { markStaleReplies } from "../../lib/db/stale_replies.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";

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
  } as unknown as Store;
  const replies: ReplyStore = {
    saveProgress: () => Promise.reject(new Error("down")),
    finish(id, patch) {
      if (down) return Promise.reject(Object.assign(new Error("down"), { code: "database_unavailable" }));
      const next = { ...rows.get(id)!, ...patch } as Message;
      rows.set(id, next);
      return Promise.resolve(next);
    },
    read: () => Promise.resolve(null),
    requestStop: () => Promise.resolve(null),
  };
  const run = await startReply({
    store,
    replies,
    provider,
    ownerId: "o",
    conversationId: "c",
    systemPrompt: "",
    history: [{ role: "user", content: "hi" }],
    shutdownSignal: new AbortController().signal,
    maxSeconds: 60,
    heartbeatMs: 1000,
    saveRetry: { quickDelaysMs: [0, 10], lateEveryMs: 30, lateForMs: 5000 },
  });
  const events = await Array.fromAsync(run!.events());
  assert.equal(events.map((e) => e.type === "token" ? e.text : "").join(""), "one two three");
  const last = events.at(-1)!;
  assert.equal(last.type === "error" && last.code, "database_unavailable");
  const [id] = rows.keys();
  assert.equal(rows.get(id)!.status, "streaming");
  down = false;
  const end = Date.now() + 30_000; // bounds a failing test only
  while (rows.get(id)!.status === "streaming" && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(rows.get(id)!.status, "complete");
  assert.equal(rows.get(id)!.content, "one two three");
});

Deno.test({
  name: "replies whose heartbeat is 30 s old are marked error; live ones are left alone",
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
      await db.sql`update messages set updated_at = now() - interval '31 seconds' where id = ${old!.id}`;
      // An old row with a fresh heartbeat is alive.
      await db.sql`
        update messages set updated_at = now() - interval '1 hour', heartbeat_at = now() where id = ${
        live!.id
      }`;
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
