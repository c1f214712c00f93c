/** `POST /api/conversations/:id/branch`: show (and store) the branch through a message. */
import {
  conversationNotFound,
  conversationWithMessagesJson,
  SwitchBranchBody,
} from "../../../../lib/chat/api.ts";
import { messageNotFound } from "../../../../lib/chat/respond.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const { messageId } = await readJson(req, SwitchBranchBody);
    const { db } = ctx.state.services;
    const path = await db.switchBranch(ctx.state.sessionId, ctx.params.id, messageId);
    if (!path) {
      if (!await db.getConversation(ctx.state.sessionId, ctx.params.id)) throw conversationNotFound();
      throw messageNotFound();
    }
    const c = await db.getConversation(ctx.state.sessionId, ctx.params.id);
    if (!c) throw conversationNotFound();
    return Response.json(conversationWithMessagesJson(c));
  },
};
