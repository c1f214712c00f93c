/** `POST /api/auth/password`: change the password; every other session is signed out. */
import { ChangePasswordBody } from "../../../lib/accounts/api.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const body = await readJson(req, ChangePasswordBody);
    const signedOut = await ctx.state.services.accounts.changePassword(
      ctx.state.user!,
      body.currentPassword,
      body.newPassword,
      ctx.state.authSessionId!,
    );
    return Response.json({ signedOutSessions: signedOut });
  },
};
