/** `GET /api/conversations` (newest first, `?q=` filters by title) and `POST` to create one. */
import { allowedModel } from "../../../lib/chat/allowlist.ts";
import { conversationJson, CreateConversationBody, summaryJson } from "../../../lib/chat/api.ts";
import { limitConversationChange } from "../../../lib/security/conversation_limits.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const q = ctx.url.searchParams.get("q")?.slice(0, 200) || undefined;
    const limit = Math.min(500, Math.max(1, Number(ctx.url.searchParams.get("limit")) || 100));
    const list = await ctx.state.services.db.listConversations(ctx.state.sessionId, { query: q, limit });
    return Response.json(list.map(summaryJson));
  },
  async POST(req, ctx) {
    const body = await readJson(req, CreateConversationBody);
    if (body.model) await allowedModel(ctx.state, body.model);
    await limitConversationChange(ctx.state);
    const { db } = ctx.state.services;
    await db.ensureOwner(ctx.state.sessionId);
    const created = await db.createConversation(ctx.state.sessionId, body);
    return Response.json(conversationJson(created), { status: 201 });
  },
};
