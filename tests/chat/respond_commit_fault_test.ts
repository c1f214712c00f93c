/**
 * The commit of a reply start overlaps the model request (issue 20): when that commit fails, the
 * model request is aborted, no text is taken from it, the caller gets the error (PostgreSQL: the
 * connection lost at commit is `database_unavailable`, HTTP 503) and nothing of the exchange is
 * stored; the next message works. A deferred constraint trigger fails the commit itself, on both
 * engines: it raises (PGlite), or its backend ends itself mid-commit (PostgreSQL).
 */
import assert from "node:assert/strict";
import type { ChatChunk, ChatProvider, ChatRequest } from "../../lib/chat/provider.ts";
import { appendUserMessage, respond } from "../../lib/chat/respond.ts";
import { type Database, openDatabase } from "../../lib/db/mod.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { replyState } from "../_helpers/reply_state.ts";
import { requireSuite } from "../_helpers/suites.ts";

const FAIL = "fail at commit";

/** Answers "ok"; a message marked {@link FAIL} is answered only once the request is aborted. */
class WatchingProvider implements ChatProvider {
  readonly id = "watching";
  readonly label = "Watching";
  readonly defaultModel = "watching";
  readonly models = [];
  calls = 0;
  aborted = 0;
  async *stream(request: ChatRequest): AsyncIterable<ChatChunk> {
    this.calls++;
    if (request.history.at(-1)?.content === FAIL) {
      await new Promise((resolve) => request.signal?.addEventListener("abort", resolve, { once: true }));
      this.aborted++;
      yield { type: "text", text: "never shown" };
      return;
    }
    yield { type: "text", text: "ok" };
  }
  health() {
    return Promise.resolve({ ok: true, latencyMs: 0 });
  }
}

async function commitFails(db: Database, failure: string, expected: (error: unknown) => boolean) {
  await db.sql.unsafe(`
    create function fail_at_commit() returns trigger language plpgsql as $$
    begin
      ${failure}
      return null;
    end $$;
    create constraint trigger fail_at_commit after insert on messages deferrable initially deferred
      for each row when (new.content = '${FAIL}') execute function fail_at_commit();`);
  const owner = `fault-${crypto.randomUUID()}`;
  const provider = new WatchingProvider();
  const { state, budget, replies, shutdown } = replyState(db, provider, owner);
  const send = async (content: string) => {
    let settled = 0;
    const started = await respond(state, conv.id, appendUserMessage(content), {
      signal: new AbortController().signal,
      onSettled: () => settled++,
      admit: (sql) => budget.check(owner, sql),
    });
    const events = [];
    for await (const event of started.events) events.push(event.type === "token" ? event.text : event.type);
    return { events, settled };
  };
  const conv = await db.createConversation(owner, {});
  try {
    assert.deepEqual(await send("first"), { events: ["ok", "done"], settled: 1 });
    await assert.rejects(send(FAIL), expected);
    // The model was asked before the commit answered, then aborted; no run is left behind.
    assert.equal(provider.calls, 2);
    while (provider.aborted === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(replies.running, 0);
    while (!(await db.ping()).ok) { /* the next ping reconnects */ }
    const stored = () =>
      db.getConversation(owner, conv.id).then((c) => c!.messages.map((m) => [m.role, m.content]));
    assert.deepEqual(await stored(), [["user", "first"], ["assistant", "ok"]]);
    assert.deepEqual(await send("after"), { events: ["ok", "done"], settled: 1 });
    assert.deepEqual(await stored(), [["user", "first"], ["assistant", "ok"], ["user", "after"], [
      "assistant",
      "ok",
    ]]);
    // The second message's parent is the first reply: the failed exchange left no trace in the tree.
    const messages = (await db.getConversation(owner, conv.id))!.messages;
    assert.equal(messages[2].parentId, messages[1].id);
    await replies.drain();
  } finally {
    shutdown.abort();
  }
}

Deno.test({
  name: "reply start on PGlite: a commit that fails aborts the model request and stores nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await freshDataDir();
    const db = await openDatabase({ dataDir });
    try {
      await commitFails(
        db,
        "raise exception 'refused at commit';",
        (error) => error instanceof Error && /refused at commit/.test(error.message),
      );
    } finally {
      await db.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

const pg = requireSuite("respond-commit-fault-postgres", postgresMissing());
Deno.test({
  name: "reply start on PostgreSQL: the connection lost at commit is database_unavailable, nothing stored",
  ignore: !pg,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startPostgresCluster();
    const dataDir = await Deno.makeTempDir({ prefix: "mc-commit-fault-" });
    // One connection: the ping after the loss reconnects it (postgres.js keeps a connection lost with
    // a statement in flight waiting on `end` until it reconnects, with sql.begin as well).
    const db = await openDatabase({ dataDir, databaseUrl: cluster.url, poolMax: 1 });
    try {
      await commitFails(
        db,
        "perform pg_terminate_backend(pg_backend_pid()); perform pg_sleep(5);",
        (error) => (error as { code?: string }).code === "database_unavailable",
      );
    } finally {
      await db.close();
      await cluster.destroy();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
