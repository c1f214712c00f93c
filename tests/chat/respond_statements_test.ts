/**
 * How much database work a reply does before the model is called (issue 20, first-token overhead),
 * counted on the real engines: a new message costs one round trip, then its write and the commit
 * overlap the model request. Flight 1: `begin`, the conversation lock, one read (path, files, reply
 * in progress) and the budget read; flight 2: one insert of the user message and its reply row, and
 * `commit` right behind it; the model is asked while flight 2 is being sent, before any of it has
 * been answered (docs/performance.md). On PGlite the first flight also sets generic plans for the
 * transaction. Both rows are stored, linked and the conversation's leaf moved.
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

/** Answers "ok"; notes where the flight recorder was when it was called. */
class CountingProvider implements ChatProvider {
  readonly id = "counting";
  readonly label = "Counting";
  readonly defaultModel = "counting";
  readonly models = [];
  calls: ReturnType<FlightRecorder["now"]>[] = [];
  constructor(readonly flights: FlightRecorder) {}
  async *stream(_request: ChatRequest): AsyncIterable<ChatChunk> {
    this.calls.push(this.flights.now());
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
  const provider = new CountingProvider(flights);
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
      const call = provider.calls[i];
      // The reply start's statements: those up to and including the first commit.
      const all = flights.since(before);
      const sent = all.slice(0, all.findIndex((q) => q.statement === "commit") + 1);
      const text = sent.map((q) => `[${q.flight}] ${q.statement}`).join("\n---\n");
      assert.equal(sent.length, 6, `statements of the reply start:\n${text}`);
      assert.equal(sent[0].statement, "begin");
      assert.equal(sent.at(-1)!.statement, "commit");
      // Asked only after the insert was started.
      const insertAt = before + sent.findIndex((q) => /insert into messages/.test(q.statement));
      assert.ok(call.sent > insertAt, `the model was asked before the insert was started:\n${text}`);
      const flight = (re: RegExp) => sent.filter((q) => re.test(q.statement)).map((q) => q.flight);
      const first = { begin: flight(/^begin$/), lock: flight(/for update/), path: flight(/with recursive/) };
      if (i === 0) {
        // A connection's first use of a statement with parameters waits for its description once.
        assert.deepEqual(first.begin, [1], text);
      } else {
        // Prepared: begin, lock, path read and budget read in one flight; the insert and the commit.
        assert.deepEqual(
          [
            first.begin,
            first.lock,
            first.path,
            flight(/token_usage/),
            flight(/insert into messages/),
            flight(/^commit$/),
          ],
          [[1], [1], [1], [1], [2], [2]],
          text,
        );
        // ...and while the insert's flight was still being sent, so before any answer to it.
        assert.equal(call.openFlight, flights.sent[insertAt].flight, "the model was asked after an answer");
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
    "reply start on PGlite: one round trip, then the insert and the commit in the model request's flight, both rows stored",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => countStatements(),
});

const pg = requireSuite("respond-statements-postgres", postgresMissing());
Deno.test({
  name:
    "reply start on PostgreSQL: one round trip, then the insert and the commit in the model request's flight, both rows stored",
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
