/** `DELETE /api/auth/sessions/:id`: revoke one of the user's sessions (another user's id is 404). */
import { signedOutResponse } from "../../../../lib/accounts/api.ts";
import { revokeSession } from "../../../../lib/accounts/sessions.ts";
import type { AppState } from "../../../../lib/services.ts";
import { HttpError } from "../../../../lib/web/errors.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async DELETE(req, ctx) {
    const revoked = await revokeSession(
      await ctx.state.services.accounts.sql(),
      ctx.state.user!.id,
      ctx.params.id,
    );
    if (!revoked) throw new HttpError(404, "not_found", "Session not found");
    if (ctx.params.id === ctx.state.authSessionId) return signedOutResponse(req, ctx.url);
    return new Response(null, { status: 204 });
  },
};
