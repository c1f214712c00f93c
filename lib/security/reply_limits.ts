/**
 * The guard in front of every chat reply (`messages`, `regenerate`, `edit`, `continue`): at most N
 * replies generating per session at once (a slot is held until the reply ends, not until its
 * request does), then the per-session and per-IP rate limits, then the owner's daily token budget
 * (read inside the reply's own transaction, pipelined with its lock: see {@link ReplyAdmission}).
 * Every refusal is 429 with `Retry-After`; nothing is stored and the model is not called.
 */
import type { Queryable } from "../db/sql.ts";
import type { AppState } from "../services.ts";
import { HttpError } from "../web/errors.ts";

/**
 * The budget check of a reply, run by the reply's transaction (`sql`) before it writes anything: it
 * throws the 429, which rolls the transaction back, so nothing is stored.
 */
export type ReplyAdmission = (sql: Queryable) => Promise<unknown>;

/**
 * Runs `start` (which stores the user message and starts the reply) under the limits. The slot is
 * held until `start` calls `release` (when its reply has ended, which may be long after the
 * response: replies outlive their requests) or throws.
 */
export async function limitReply(
  state: AppState,
  start: (release: () => void, admit: ReplyAdmission) => Promise<Response>,
): Promise<Response> {
  const { limiter, streams, budget } = state.services.limits;
  const release = streams.tryAcquire(state.sessionId);
  if (!release) {
    throw new HttpError(
      429,
      "too_many_streams",
      `This session already has ${streams.maxPerSession} replies streaming; wait for one to finish.`,
      { "retry-after": "1" },
    );
  }
  try {
    const keys = [`msg:${state.sessionId}`];
    if (state.clientIp) keys.push(`msg_ip:${state.clientIp}`);
    const decision = await limiter.takeAll(keys, 1);
    if (!decision.allowed) {
      throw new HttpError(
        429,
        "rate_limited",
        `Too many messages; retry in ${decision.retryAfterSeconds} s.`,
        { "retry-after": String(decision.retryAfterSeconds) },
      );
    }
    return await start(release, (sql) => budget.check(state.sessionId, sql));
  } catch (error) {
    release();
    throw error;
  }
}
