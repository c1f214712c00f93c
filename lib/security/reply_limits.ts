/**
 * The guard in front of every chat reply (`messages`, `regenerate`, `edit`, `continue`): at most N
 * replies generating per session at once (a slot is held until the reply ends, not until its
 * request does), then the owner's daily token budget and the per-session and per-IP rate limits
 * (checked together; the budget's refusal is reported first).
 * Every refusal is 429 with `Retry-After`; nothing is stored and the model is not called.
 */
import type { AppState } from "../services.ts";
import { HttpError } from "../web/errors.ts";

/**
 * Runs `start` (which stores the user message and starts the reply) under the limits. The slot is
 * held until `start` calls `release` (when its reply has ended, which may be long after the
 * response: replies outlive their requests) or throws.
 */
export async function limitReply(
  state: AppState,
  start: (release: () => void) => Promise<Response>,
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
    // Both checks in one round trip (pipelined, or two pooled connections): they are independent
    // reads/writes, and a budget refusal still wins. Its cost: a refused-for-budget request also
    // takes a rate-limit token (harmless: it is refused either way).
    const [checked, taken] = await Promise.allSettled([
      budget.check(state.sessionId),
      limiter.takeAll(keys, 1),
    ]);
    if (checked.status === "rejected") throw checked.reason;
    if (taken.status === "rejected") throw taken.reason;
    const decision = taken.value;
    if (!decision.allowed) {
      throw new HttpError(
        429,
        "rate_limited",
        `Too many messages; retry in ${decision.retryAfterSeconds} s.`,
        { "retry-after": String(decision.retryAfterSeconds) },
      );
    }
    return await start(release);
  } catch (error) {
    release();
    throw error;
  }
}
