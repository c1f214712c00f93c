/**
 * What `respond()` needs, built on a real database without the HTTP app: a reply service on `db`,
 * a token budget of 100,000 a day, and `provider` as the model.
 */
import type { ChatProvider } from "../../lib/chat/provider.ts";
import type { ReplyState } from "../../lib/chat/respond.ts";
import { ReplyService } from "../../lib/chat/reply_service.ts";
import type { Database } from "../../lib/db/mod.ts";
import { createReplyStore } from "../../lib/db/replies.ts";
import { TokenBudget } from "../../lib/security/token_budget.ts";

/** A {@link ReplyState} for `owner`, its budget, its reply service, and the controller that shuts its replies down. */
export function replyState(db: Database, provider: ChatProvider, owner: string) {
  const shutdown = new AbortController();
  const budget = new TokenBudget(db.sql, { dailyTokens: 100_000 });
  const replies = new ReplyService({
    store: db,
    replies: createReplyStore(db.sql, () => db.migrate()),
    shutdown: shutdown.signal,
    maxSeconds: 60,
    heartbeatMs: 10_000,
    pollMs: 1000,
  });
  const state: ReplyState = {
    services: { db, chat: provider, replies, config: { historyTokenBudget: 4000 }, limits: { budget } },
    sessionId: owner,
  };
  return { state, budget, replies, shutdown };
}
