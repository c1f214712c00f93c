/** `POST /api/conversations/:id/regenerate`: replace the last reply with a new one (SSE). */
import { regenerateLast, respond } from "../../../../lib/chat/respond.ts";
import { limitReply } from "../../../../lib/security/reply_limits.ts";
import type { AppState } from "../../../../lib/services.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(_req, ctx) {
    return await limitReply(ctx.state, () => respond(ctx.state, ctx.params.id, regenerateLast(ctx.state)));
  },
};
