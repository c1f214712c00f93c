/** `POST /api/conversations/:id/continue`: more text for the stopped reply at the leaf (SSE). */
import { ContinueBody } from "../../../../lib/chat/api.ts";
import { continueReply, respond } from "../../../../lib/chat/respond.ts";
import { limitReply } from "../../../../lib/security/reply_limits.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { messageId } = await readJson(req, ContinueBody);
    return await limitReply(
      ctx.state,
      () => respond(ctx.state, ctx.params.id, continueReply(messageId)),
    );
  },
};
