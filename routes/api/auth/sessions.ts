/**
 * `GET /api/auth/sessions`: the signed-in devices (this one marked `current`).
 * `DELETE /api/auth/sessions`: sign out everywhere (every session, this one included).
 */
import { type SessionJson, signedOutResponse } from "../../../lib/accounts/api.ts";
import { listSessions, revokeAllSessions } from "../../../lib/accounts/sessions.ts";
import type { AppState } from "../../../lib/services.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const sessions = await listSessions(await ctx.state.services.accounts.sql(), ctx.state.user!.id);
    const json: SessionJson[] = sessions.map((s) => ({ ...s, current: s.id === ctx.state.authSessionId }));
    return Response.json(json);
  },
  async DELETE(req, ctx) {
    await revokeAllSessions(await ctx.state.services.accounts.sql(), ctx.state.user!.id);
    return signedOutResponse(req, ctx.url);
  },
};
