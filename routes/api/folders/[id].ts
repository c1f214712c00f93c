/**
 * `GET`, `PATCH` (rename, default system prompt and model) and `DELETE /api/folders/:id` (its
 * conversations move out of the folder; they are not deleted). Another session's folder is a 404.
 */
import { allowedModel } from "../../../lib/chat/allowlist.ts";
import { folderJson, folderNotFound, PatchFolderBody } from "../../../lib/chat/api.ts";
import { limitConversationChange } from "../../../lib/security/conversation_limits.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const folder = await ctx.state.services.db.getFolder(ctx.state.sessionId, ctx.params.id);
    if (!folder) throw folderNotFound();
    return Response.json(folderJson(folder));
  },
  async PATCH(req, ctx) {
    const body = await readJson(req, PatchFolderBody);
    if (body.model) await allowedModel(ctx.state, body.model);
    await limitConversationChange(ctx.state);
    const folder = await ctx.state.services.db.updateFolder(ctx.state.sessionId, ctx.params.id, body);
    if (!folder) throw folderNotFound();
    return Response.json(folderJson(folder));
  },
  async DELETE(_req, ctx) {
    await limitConversationChange(ctx.state);
    const deleted = await ctx.state.services.db.deleteFolder(ctx.state.sessionId, ctx.params.id);
    if (!deleted) throw folderNotFound();
    return new Response(null, { status: 204 });
  },
};
