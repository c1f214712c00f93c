/** `POST /api/auth/logout`: revoke this browser's sign-in session and delete its cookie. */
import { signedOutResponse } from "../../../lib/accounts/api.ts";
import { isHttps, readAuthCookie } from "../../../lib/accounts/cookie.ts";
import { revokeToken } from "../../../lib/accounts/sessions.ts";
import type { AppState } from "../../../lib/services.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const token = readAuthCookie(req, isHttps(req, ctx.url));
    if (token) await revokeToken(await ctx.state.services.accounts.sql(), token);
    return signedOutResponse(req, ctx.url);
  },
};
