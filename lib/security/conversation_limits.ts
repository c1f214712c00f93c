/**
 * Rate limit on changing conversations (create, rename or other PATCH, delete): one token per
 * change from `conv:<session>` and `conv_ip:<address>` (`RATE_LIMIT_CONVERSATIONS`,
 * `RATE_LIMIT_CONVERSATIONS_IP`). A refusal is 429 with `Retry-After` and changes nothing.
 */
import type { AppState } from "../services.ts";
import { HttpError } from "../web/errors.ts";

/** Charges one conversation change to the session and its address; throws 429 when refused. */
export async function limitConversationChange(state: AppState): Promise<void> {
  const keys = [`conv:${state.sessionId}`];
  if (state.clientIp) keys.push(`conv_ip:${state.clientIp}`);
  const decision = await state.services.limits.limiter.takeAll(keys, 1);
  if (!decision.allowed) {
    throw new HttpError(
      429,
      "rate_limited",
      `Too many changes to conversations; retry in ${decision.retryAfterSeconds} s.`,
      { "retry-after": String(decision.retryAfterSeconds) },
    );
  }
}
