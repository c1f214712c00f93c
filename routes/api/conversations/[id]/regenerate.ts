/** `POST /api/conversations/:id/regenerate`: replace the last reply with a new one (SSE). */
import { regenerateLast } from "../../../../lib/chat/respond.ts";
import { startReplyResponse } from "../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../lib/services.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(_req, ctx) {
    return await startReplyResponse(ctx.state, ctx.params.id, regenerateLast(ctx.state));
  },
};
