/**
 * `POST /api/conversations/:id/messages/:messageId/stop`: stop a reply from any tab or instance.
 * 200 `{ messageId, status, stopRequested }` (`status` as before the stop; a finished reply is
 * left as it is); streams that follow the reply end with `done` / `stopped`.
 */
import { stopReplyResponse } from "../../../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../../../lib/services.ts";
import type { Handlers } from "../../../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(_req, ctx) {
    return await stopReplyResponse(ctx.state, ctx.params.id, ctx.params.messageId);
  },
};
