/** `POST /api/auth/register`: create an account and sign in (accounts mode). */
import { replacedSession } from "../../../lib/accounts/sessions_http.ts";
import { RegisterBody, requester, signedInResponse } from "../../../lib/accounts/api.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const body = await readJson(req, RegisterBody);
    const { accounts } = ctx.state.services;
    const result = await accounts.register(body, requester(req, ctx.state));
    await replacedSession(req, ctx.url, await accounts.sql());
    return signedInResponse(req, ctx.url, result, accounts.sessionTtlSeconds, 201);
  },
};
