/**
 * `GET /api/conversations/:id/messages/:messageId/stream`: follow a reply (SSE) from
 * `Last-Event-ID` or `?offset=` (code points already received): what was written since, then the
 * rest live, then `done`/`error`. A finished reply answers its remaining text and its end at once.
 */
import { followReplyResponse } from "../../../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../../../lib/services.ts";
import type { Handlers } from "../../../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(req, ctx) {
    return await followReplyResponse(req, ctx.state, ctx.params.id, ctx.params.messageId);
  },
};
