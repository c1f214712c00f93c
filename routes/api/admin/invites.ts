/** `POST /api/admin/invites`: a new invitation code, valid 7 days, shown once (admin only). */
import { createInvite } from "../../../lib/accounts/registration.ts";
import type { AppState } from "../../../lib/services.ts";
import type { Handlers } from "../../../lib/web/types.ts";

const INVITE_TTL_S = 7 * 86_400;

export const handler: Handlers<AppState> = {
  async POST(_req, ctx) {
    const invite = await createInvite(
      await ctx.state.services.accounts.sql(),
      ctx.state.user!.id,
      INVITE_TTL_S,
    );
    return Response.json({ ...invite, url: `${ctx.url.origin}/register?invite=${invite.code}` }, {
      status: 201,
    });
  },
};
