/**
 * `PATCH /api/admin/users/:id` `{ disabled?, isAdmin?, dailyTokenLimit? }` (disabling signs the
 * user out everywhere) and `DELETE /api/admin/users/:id` (the user and all their conversations).
 */
import { userJson, UserPatchBody } from "../../../../lib/accounts/api.ts";
import type { AppState } from "../../../../lib/services.ts";
import { readJson } from "../../../../lib/web/body.ts";
import { HttpError } from "../../../../lib/web/errors.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

const notFound = () => new HttpError(404, "not_found", "User not found");

export const handler: Handlers<AppState> = {
  async PATCH(req, ctx) {
    const body = await readJson(req, UserPatchBody);
    const user = await ctx.state.services.accounts.updateUser(ctx.state.user!, ctx.params.id, body);
    if (!user) throw notFound();
    return Response.json(userJson(user));
  },
  async DELETE(_req, ctx) {
    if (!await ctx.state.services.accounts.deleteUser(ctx.state.user!, ctx.params.id)) throw notFound();
    return new Response(null, { status: 204 });
  },
};
