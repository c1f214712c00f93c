/**
 * `POST /api/conversations/:id/messages`: store the user's message under `parentId` (default the
 * current leaf), then stream the reply (SSE).
 */
import { checkMessageLength, SendMessageBody } from "../../../../lib/chat/api.ts";
import { appendUserMessage } from "../../../../lib/chat/respond.ts";
import { startReplyResponse } from "../../../../lib/reply_routes.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { content, parentId, attachmentIds } = await readJson(req, SendMessageBody);
    checkMessageLength(content);
    return await startReplyResponse(
      ctx.state,
      ctx.params.id,
      appendUserMessage(content, parentId, attachmentIds),
    );
  },
};
