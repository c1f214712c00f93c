/** `GET /api/admin/users`: every account (admin only). */
import { userJson } from "../../../lib/accounts/api.ts";
import { listUsers } from "../../../lib/accounts/users.ts";
import type { AppState } from "../../../lib/services.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const users = await listUsers(await ctx.state.services.accounts.sql());
    return Response.json(users.map(userJson));
  },
};
