/**
 * The transport-free reply core on a real embedded database: a reply is an async iterable of
 * events that any number of consumers read from any offset; consumers leaving change nothing;
 * Stop (a flag in PostgreSQL, set as another instance would), the time cap, shutdown and a
 * deleted conversation end it `stopped` with exactly the text generated so far stored.
 */
import assert from "node:assert/strict";
import type { ChatChunk, ChatProvider, ChatRequest } from "../../lib/chat/provider.ts";
import { startReply } from "../../lib/chat/reply.ts";
import { codePointLength, type ReplyEvent, utf16Index } from "../../lib/chat/reply_events.ts";
import { ReplyService } from "../../lib/chat/reply_service.ts";
import { type Database, openDatabase } from "../../lib/db/mod.ts";
import { createReplyStore } from "../../lib/db/replies.ts";
import { markStaleReplies } from "../../lib/db/stale_replies.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";

/** A provider whose tokens the test releases one by one; it honours the abort signal. */
class ScriptedProvider implements ChatProvider {
  readonly id = "scripted";
  readonly label = "Scripted";
  readonly defaultModel = "scripted";
  readonly models = [];
  #pending: string[] = [];
  #finished = false;
  #wake: (() => void) | null = null;
  requests = 0;

  push(...tokens: string[]): void {
    this.#pending.push(...tokens);
    this.#wake?.();
  }
  finish(): void {
    this.#finished = true;
    this.#wake?.();
  }
  async *stream(request: ChatRequest): AsyncIterable<ChatChunk> {
    this.requests++;
    while (true) {
      if (request.signal.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
      const next = this.#pending.shift();
      if (next !== undefined) {
        yield { type: "text", text: next };
        continue;
      }
      if (this.#finished) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        request.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }
  health() {
    return Promise.resolve({ ok: true, latencyMs: 0 });
  }
}

async function withDb(fn: (db: Database, conversationId: string) => Promise<void>): Promise<void> {
  const dataDir = await freshDataDir();
  const db = await openDatabase({ dataDir });
  try {
    const conv = await db.createConversation("owner-reply", {});
    await db.appendMessage("owner-reply", conv.id, { role: "user", content: "hi" });
    await fn(db, conv.id);
  } finally {
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function service(db: Database, shutdown = new AbortController().signal, maxSeconds = 60) {
  return new ReplyService({
    store: db,
    replies: createReplyStore(db.sql, () => db.migrate()),
    shutdown,
    maxSeconds,
    heartbeatMs: 50,
    pollMs: 50,
  });
}

function start(replies: ReplyService, provider: ChatProvider, conversationId: string) {
  return replies.start({
    provider,
    ownerId: "owner-reply",
    conversationId,
    systemPrompt: "",
    history: [{ role: "user", content: "hi" }],
  });
}

function text(events: ReplyEvent[]): string {
  return events.map((e) => e.type === "token" ? e.text : "").join("");
}

Deno.test("code point offsets: length and UTF-16 index agree with PostgreSQL's characters", () => {
  assert.equal(codePointLength("a😀é"), 3);
  assert.equal(utf16Index("a😀é", 2), 3);
  assert.equal(utf16Index("a😀é", 9), 4);
  assert.equal("a😀é".slice(utf16Index("a😀é", 1)), "😀é");
});

Deno.test({
  name: "consumers read from any offset; one leaving does not stop the reply",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withDb(async (db, conversationId) => {
      const provider = new ScriptedProvider();
      const replies = service(db);
      const run = (await start(replies, provider, conversationId))!;
      provider.push("Héllo", " 😀", " wörld");
      const leaving = new AbortController();
      const quitter = run.events(0, leaving.signal)[Symbol.asyncIterator]();
      const firstEvent = await quitter.next();
      assert.equal(firstEvent.value.type, "token");
      leaving.abort();
      await quitter.return(undefined);

      const fromStart = Array.fromAsync(run.events(0));
      const fromMiddle = Array.fromAsync(run.events(7));
      provider.push(" and", " more");
      provider.finish();
      const [all, rest] = await Promise.all([fromStart, fromMiddle]);
      const full = "Héllo 😀 wörld and more";
      assert.equal(text(all), full);
      assert.equal(text(rest), [...full].slice(7).join(""));
      const end = all.at(-1)!;
      assert.deepEqual([end.type, end.type === "done" && end.status, end.offset], [
        "done",
        "complete",
        [...full].length,
      ]);
      // every token's offset is the code points so far
      let seen = "";
      for (const e of all) {
        if (e.type !== "token") continue;
        seen += e.text;
        assert.equal(e.offset, [...seen].length);
      }
      const stored = await db.getConversation("owner-reply", conversationId);
      assert.deepEqual(stored!.messages.map((m) => [m.content, m.status]), [["hi", "complete"], [
        full,
        "complete",
      ]]);
      assert.equal(replies.running, 0);
      // A follower that arrives later reads the stored reply.
      const late = await replies.follow(
        "owner-reply",
        conversationId,
        run.messageId,
        6,
        new AbortController().signal,
      );
      const lateEvents = await Array.fromAsync(late!);
      assert.equal(text(lateEvents), [...full].slice(6).join(""));
      assert.equal(lateEvents.at(-1)!.type, "done");
    }),
});

Deno.test({
  name: "a Stop flag set in the database (as another instance does) stops the reply; stored text = sent text",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withDb(async (db, conversationId) => {
      const provider = new ScriptedProvider();
      const replies = service(db);
      const run = (await start(replies, provider, conversationId))!;
      provider.push("one", " two");
      const events = Array.fromAsync(run.events());
      // Another instance: its own reply store on the same database, no in-process link.
      const other = createReplyStore(db.sql, () => Promise.resolve());
      const stopped = await other.requestStop("owner-reply", conversationId, run.messageId);
      assert.deepEqual(stopped, { status: "streaming", role: "assistant" });
      const all = await events;
      const end = all.at(-1)!;
      assert.equal(end.type === "done" && end.status, "stopped");
      const stored = await db.getConversation("owner-reply", conversationId);
      assert.equal(stored!.messages[1].status, "stopped");
      assert.equal(stored!.messages[1].content, text(all));
      assert.equal(
        await other.requestStop("someone-else", conversationId, run.messageId),
        null,
        "another owner cannot stop it",
      );
    }),
});

Deno.test({
  name: "the time cap, shutdown and a deleted conversation end a reply stopped",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withDb(async (db, conversationId) => {
      const capped = service(db, new AbortController().signal, 1);
      const slow = new ScriptedProvider();
      const run = (await start(capped, slow, conversationId))!;
      slow.push("never", " ends");
      const end = (await Array.fromAsync(run.events())).at(-1)!;
      assert.equal(end.type === "done" && end.status, "stopped");
      assert.equal((await run.settled)!.content, "never ends");

      const shutdown = new AbortController();
      const live = service(db, shutdown.signal);
      const second = (await start(live, new ScriptedProvider(), conversationId))!;
      shutdown.abort();
      await live.drain();
      assert.equal(second.end?.type === "done" && second.end.status, "stopped");

      const third = (await start(service(db), new ScriptedProvider(), conversationId))!;
      assert.ok(await db.deleteConversation("owner-reply", conversationId));
      const last = (await Array.fromAsync(third.events())).at(-1)!;
      assert.equal(last.type === "error" && last.code, "not_found", "nothing left to save into");
      assert.equal(await third.settled, null);
    }),
});

Deno.test({
  name: "startReply refuses another owner's conversation",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withDb(async (db, conversationId) => {
      const run = await startReply({
        store: db,
        replies: createReplyStore(db.sql, () => Promise.resolve()),
        provider: new ScriptedProvider(),
        ownerId: "someone-else",
        conversationId,
        systemPrompt: "",
        history: [],
        shutdownSignal: new AbortController().signal,
        maxSeconds: 5,
        heartbeatMs: 50,
      });
      assert.equal(run, null);
    }),
});

Deno.test({
  name: "the heartbeat keeps a reply whose model is silent alive for the reaper",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withDb(async (db, conversationId) => {
      const provider = new ScriptedProvider();
      const run = (await start(service(db), provider, conversationId))!;
      // Wait (on the database, not a timer) until the heartbeat has gone on for more than a second
      // with no token at all.
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        const [row] = await db.sql`
          select extract(epoch from heartbeat_at - created_at)::float8 as beating from messages where id = ${run.messageId}`;
        if (row.beating !== null && row.beating > 1.2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(await markStaleReplies(db.sql, 1), 0, "alive: its heartbeat is fresh");
      const [row] = await db.sql`select status from messages where id = ${run.messageId}`;
      assert.equal(row.status, "streaming");
      provider.push("late");
      provider.finish();
      assert.equal((await run.settled)!.content, "late");
    }),
});
