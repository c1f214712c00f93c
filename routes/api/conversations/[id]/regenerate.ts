/** `POST /api/conversations/:id/regenerate`: a new version of a reply, beside the old ones (SSE). */
import { RegenerateBody } from "../../../../lib/chat/api.ts";
import { regenerateReply } from "../../../../lib/chat/respond.ts";
import { startReplyResponse } from "../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { messageId } = await readJson(req, RegenerateBody);
    return await startReplyResponse(ctx.state, ctx.params.id, regenerateReply(messageId));
  },
};
