/** `GET`, `PATCH` and `DELETE /api/conversations/:id`, scoped to the session (404 otherwise). */
import { attachmentsByMessage } from "../../../lib/attachments/listing.ts";
import { allowedModel } from "../../../lib/chat/allowlist.ts";
import {
  conversationJson,
  conversationNotFound,
  conversationWithMessagesJson,
  PatchConversationBody,
} from "../../../lib/chat/api.ts";
import { limitConversationChange } from "../../../lib/security/conversation_limits.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const c = await ctx.state.services.db.getConversation(ctx.state.sessionId, ctx.params.id);
    if (!c) throw conversationNotFound();
    return Response.json(
      conversationWithMessagesJson(
        c,
        await attachmentsByMessage(ctx.state.services.db.sql, ctx.state.sessionId, c.messages),
      ),
    );
  },
  async PATCH(req, ctx) {
    const body = await readJson(req, PatchConversationBody);
    if (body.model) await allowedModel(ctx.state, body.model);
    await limitConversationChange(ctx.state);
    const c = await ctx.state.services.db.updateConversation(ctx.state.sessionId, ctx.params.id, body);
    if (!c) throw conversationNotFound();
    return Response.json(conversationJson(c));
  },
  async DELETE(_req, ctx) {
    await limitConversationChange(ctx.state);
    const deleted = await ctx.state.services.db.deleteConversation(ctx.state.sessionId, ctx.params.id);
    if (!deleted) throw conversationNotFound();
    return new Response(null, { status: 204 });
  },
};
