/**
 * How much database work a reply does before the model is called (issue 20, first-token overhead),
 * counted on the real engines: a new message costs `begin`, the conversation lock, one read (path,
 * files, reply in progress), the budget read, one insert of the user message and its reply row, and
 * `commit` (docs/performance.md). Both rows are stored, linked and the conversation's leaf moved.
 */
import assert from "node:assert/strict";
import type { ChatChunk, ChatProvider, ChatRequest } from "../../lib/chat/provider.ts";
import { appendUserMessage, respond } from "../../lib/chat/respond.ts";
import { ReplyService } from "../../lib/chat/reply_service.ts";
import { openDatabase } from "../../lib/db/mod.ts";
import { createReplyStore } from "../../lib/db/replies.ts";
import { TokenBudget } from "../../lib/security/token_budget.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";

/** Answers "ok"; notes how many statements had been sent when it was called. */
class CountingProvider implements ChatProvider {
  readonly id = "counting";
  readonly label = "Counting";
  readonly defaultModel = "counting";
  readonly models = [];
  calledAfter: number[] = [];
  constructor(readonly statements: string[]) {}
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
  const statements: string[] = [];
  const dataDir = databaseUrl ? await Deno.makeTempDir({ prefix: "mc-count-" }) : await freshDataDir();
  const db = await openDatabase({ dataDir, databaseUrl, onQuery: (q) => statements.push(q.trim()) });
  const shutdown = new AbortController();
  try {
    const owner = `count-${crypto.randomUUID()}`;
    const budget = new TokenBudget(db.sql, { dailyTokens: 100_000 });
    const provider = new CountingProvider(statements);
    const replies = new ReplyService({
      store: db,
      replies: createReplyStore(db.sql, () => db.migrate()),
      shutdown: shutdown.signal,
      maxSeconds: 60,
      heartbeatMs: 10_000,
      pollMs: 1000,
    });
    const state = {
      services: { db, chat: provider, replies, config: { historyTokenBudget: 4000 }, limits: { budget } },
      sessionId: owner,
    };
    const conv = await db.createConversation(owner, {});
    for (const [i, content] of ["first question", "second question"].entries()) {
      const before = statements.length;
      const started = await respond(state, conv.id, appendUserMessage(content), {
        signal: new AbortController().signal,
        admit: (sql) => budget.check(owner, sql),
      });
      for await (const _ of started.events) { /* until done */ }
      const sent = statements.slice(before, before + provider.calledAfter[i] - before);
      assert.equal(sent.length, 6, `statements before the model was called:\n${sent.join("\n---\n")}`);
      assert.equal(sent[0], "begin");
      assert.equal(sent[5], "commit");
      // In between, in pipelined order: the lock, the path read, the budget read, the one insert.
      const count = (re: RegExp) => sent.filter((q) => re.test(q)).length;
      assert.deepEqual(
        [count(/for update/), count(/with recursive/), count(/token_usage/), count(/insert into messages/)],
        [1, 1, 1, 1],
      );
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
  name: "reply start on PGlite: six statements before the model is called, both rows stored",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => countStatements(),
});

const pg = requireSuite("respond-statements-postgres", postgresMissing());
Deno.test({
  name: "reply start on PostgreSQL: six statements before the model is called, both rows stored",
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
