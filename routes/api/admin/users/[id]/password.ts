/** `POST /api/admin/users/:id/password` `{ password }`: set a new password; the user is signed out everywhere. */
import { ResetPasswordBody } from "../../../../../lib/accounts/api.ts";
import type { AppState } from "../../../../../lib/services.ts";
import { readJson } from "../../../../../lib/web/body.ts";
import { HttpError } from "../../../../../lib/web/errors.ts";
import type { Handlers } from "../../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const body = await readJson(req, ResetPasswordBody);
    if (!await ctx.state.services.accounts.resetPassword(ctx.params.id, body.password)) {
      throw new HttpError(404, "not_found", "User not found");
    }
    return new Response(null, { status: 204 });
  },
};
