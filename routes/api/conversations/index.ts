/**
 * `GET /api/conversations` (most recent activity first; `?q=` filters by title, `folder`, `archived`,
 * `pinned` filter, `limit` and `before` page by keyset: the `x-next-cursor` header gives the next
 * page's `before`) and `POST` to create one.
 */
import { allowedModel } from "../../../lib/chat/allowlist.ts";
import {
  conversationJson,
  CreateConversationBody,
  ListConversationsQuery,
  summaryJson,
} from "../../../lib/chat/api.ts";
import { limitConversationChange } from "../../../lib/security/conversation_limits.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import { readQuery } from "../../../lib/web/query.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const query = readQuery(ctx.url, ListConversationsQuery);
    const page = await ctx.state.services.db.listConversationPage(ctx.state.sessionId, {
      query: query.q || undefined,
      limit: query.limit,
      before: query.before,
      folderId: query.folder,
      archived: query.archived,
      pinned: query.pinned,
    });
    const headers: Record<string, string> = page.nextCursor ? { "x-next-cursor": page.nextCursor } : {};
    return Response.json(page.conversations.map(summaryJson), { headers });
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
