/** `GET /api/folders` (the session's folders, oldest first) and `POST` to create one. */
import { allowedModel } from "../../../lib/chat/allowlist.ts";
import { CreateFolderBody, folderJson } from "../../../lib/chat/api.ts";
import { limitConversationChange } from "../../../lib/security/conversation_limits.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const folders = await ctx.state.services.db.listFolders(ctx.state.sessionId);
    return Response.json(folders.map(folderJson));
  },
  async POST(req, ctx) {
    const body = await readJson(req, CreateFolderBody);
    if (body.model) await allowedModel(ctx.state, body.model);
    await limitConversationChange(ctx.state);
    const created = await ctx.state.services.db.createFolder(ctx.state.sessionId, body);
    return Response.json(folderJson(created), { status: 201 });
  },
};
