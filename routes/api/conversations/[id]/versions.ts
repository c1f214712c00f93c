/**
 * `POST /api/conversations/:id/versions`: a reply's text edited by hand. The new text is stored as
 * a new version (a sibling of the reply, shown from now on); the original stays one click away.
 */
import {
  checkMessageLength,
  conversationNotFound,
  conversationWithMessagesJson,
  ReviseReplyBody,
} from "../../../../lib/chat/api.ts";
import { reviseReply } from "../../../../lib/chat/revise.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { messageId, content } = await readJson(req, ReviseReplyBody);
    checkMessageLength(content);
    await reviseReply(ctx.state, ctx.params.id, messageId, content);
    const c = await ctx.state.services.db.getConversation(ctx.state.sessionId, ctx.params.id);
    if (!c) throw conversationNotFound();
    return Response.json(conversationWithMessagesJson(c), { status: 201 });
  },
};
