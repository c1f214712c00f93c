/**
 * How much database work a reply does before the model is called (issue 20, first-token overhead),
 * counted on the real engines: a new message costs two round trips, then the commit overlaps the
 * model request. Flight 1: `begin`, the conversation lock, one read (path, files, reply in
 * progress) and the budget read; flight 2: one insert of the user message and its reply row;
 * flight 3: `commit`, sent before the model is called and not awaited before it
 * (docs/performance.md). On PGlite the first flight also sets generic plans for the transaction. Both rows are stored, linked and the conversation's leaf moved.
 */
import assert from "node:assert/strict";
import type { ChatChunk, ChatProvider, ChatRequest } from "../../lib/chat/provider.ts";
import { appendUserMessage, respond } from "../../lib/chat/respond.ts";
import { openDatabase } from "../../lib/db/mod.ts";
import { FlightRecorder } from "../_helpers/flights.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { replyState } from "../_helpers/reply_state.ts";
import { requireSuite } from "../_helpers/suites.ts";

/** Answers "ok"; notes how many statements had been sent when it was called. */
class CountingProvider implements ChatProvider {
  readonly id = "counting";
  readonly label = "Counting";
  readonly defaultModel = "counting";
  readonly models = [];
  calledAfter: number[] = [];
  constructor(readonly statements: { length: number }) {}
  async *stream(_request: ChatRequest): AsyncIterable<ChatChunk> {
    this.calledAfter.push(this.statements.length);
    await Promise.resolve();
    yield { type: "text", text: "ok" };
  }
  health() {
    return Promise.resolve({ ok: true, latencyMs: 0 });
  }
}

async function countStatements(databaseUrl?: string): Promise<void> {
  const flights = new FlightRecorder();
  const statements = flights.sent;
  const dataDir = databaseUrl ? await Deno.makeTempDir({ prefix: "mc-count-" }) : await freshDataDir();
  // One connection on both engines, so the second message finds its statements prepared.
  const db = await openDatabase({ dataDir, databaseUrl, poolMax: 1, onQuery: flights.onQuery });
  const owner = `count-${crypto.randomUUID()}`;
  const provider = new CountingProvider(statements);
  const { state, budget, replies, shutdown } = replyState(db, provider, owner);
  try {
    const conv = await db.createConversation(owner, {});
    for (const [i, content] of ["first question", "second question"].entries()) {
      const before = statements.length;
      const started = await respond(state, conv.id, appendUserMessage(content), {
        signal: new AbortController().signal,
        admit: (sql) => budget.check(owner, sql),
      });
      for await (const _ of started.events) { /* until done */ }
      const sent = flights.since(before).slice(0, provider.calledAfter[i] - before);
      const text = sent.map((q) => `[${q.flight}] ${q.statement}`).join("\n---\n");
      // PGlite adds `set local plan_cache_mode` (generic plans) to the first flight.
      const extra = db.engine === "pglite" ? 1 : 0;
      assert.equal(sent.length, 6 + extra, `statements before the model was called:\n${text}`);
      assert.equal(sent[0].statement, "begin");
      assert.equal(sent.at(-1)!.statement, "commit");
      const flight = (re: RegExp) => sent.filter((q) => re.test(q.statement)).map((q) => q.flight);
      const first = { begin: flight(/^begin$/), lock: flight(/for update/), path: flight(/with recursive/) };
      if (i === 0) {
        // A connection's first use of a statement with parameters waits for its description once.
        assert.deepEqual(first.begin, [1], text);
      } else {
        // Prepared: begin, lock, path read and budget read in one flight; the insert; the commit.
        assert.deepEqual(
          [
            first.begin,
            first.lock,
            first.path,
            flight(/token_usage/),
            flight(/insert into messages/),
            flight(/^commit$/),
            flight(/plan_cache_mode/),
          ],
          [[1], [1], [1], [1], [2], [3], extra ? [1] : []],
          text,
        );
      }
    }
    const stored = await db.getConversation(owner, conv.id);
    assert.deepEqual(
      stored!.messages.map((m) => [m.role, m.content, m.status]),
      [
        ["user", "first question", "complete"],
        ["assistant", "ok", "complete"],
        ["user", "second question", "complete"],
        ["assistant", "ok", "complete"],
      ],
    );
    assert.deepEqual(
      stored!.messages.map((m) => m.parentId),
      [null, ...stored!.messages.slice(0, -1).map((m) => m.id)],
    );
    await replies.drain();
  } finally {
    shutdown.abort();
    await db.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name:
    "reply start on PGlite: two round trips and the commit sent before the model is called, both rows stored",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => countStatements(),
});

const pg = requireSuite("respond-statements-postgres", postgresMissing());
Deno.test({
  name:
    "reply start on PostgreSQL: two round trips and the commit sent before the model is called, both rows stored",
  ignore: !pg,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startPostgresCluster();
    try {
      await countStatements(cluster.url);
    } finally {
      await cluster.destroy();
    }
  },
});
