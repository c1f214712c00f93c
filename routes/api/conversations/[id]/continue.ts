/** `POST /api/conversations/:id/continue`: more text for the stopped reply at the leaf (SSE). */
import { ContinueBody } from "../../../../lib/chat/api.ts";
import { continueReply } from "../../../../lib/chat/respond.ts";
import { startReplyResponse } from "../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { messageId } = await readJson(req, ContinueBody);
    return await startReplyResponse(ctx.state, ctx.params.id, continueReply(messageId));
  },
};
