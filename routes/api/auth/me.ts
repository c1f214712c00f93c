/** `GET /api/auth/me`: the signed-in user. */
import { userJson } from "../../../lib/accounts/api.ts";
import type { AppState } from "../../../lib/services.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  GET(_req, ctx) {
    return Response.json({ user: userJson(ctx.state.user!) });
  },
};
