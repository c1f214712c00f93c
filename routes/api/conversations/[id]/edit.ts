/** `POST /api/conversations/:id/edit`: a new version of one of the user's messages, answered (SSE). */
import { checkMessageLength, EditMessageBody } from "../../../../lib/chat/api.ts";
import { editUserMessage } from "../../../../lib/chat/respond.ts";
import { startReplyResponse } from "../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { messageId, content } = await readJson(req, EditMessageBody);
    checkMessageLength(content);
    return await startReplyResponse(ctx.state, ctx.params.id, editUserMessage(messageId, content));
  },
};
