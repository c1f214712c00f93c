/** `POST /api/auth/login`: sign in with username and password (accounts mode). */
import { replacedSession } from "../../../lib/accounts/sessions_http.ts";
import { LoginBody, requester, signedInResponse } from "../../../lib/accounts/api.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const body = await readJson(req, LoginBody);
    const { accounts } = ctx.state.services;
    const result = await accounts.login(body, requester(req, ctx.state));
    await replacedSession(req, ctx.url, await accounts.sql());
    return signedInResponse(req, ctx.url, result, accounts.sessionTtlSeconds);
  },
};
