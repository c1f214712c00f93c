/**
 * `GET /api/usage`: the session owner's token budget today,
 * `{ usedTokens, limitTokens (null = unlimited), resetsAt }` (the next UTC midnight).
 */
import type { AppState } from "../../lib/services.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const status = await ctx.state.services.limits.budget.status(ctx.state.sessionId);
    return Response.json(status, { headers: { "cache-control": "no-store" } });
  },
};
