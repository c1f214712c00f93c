/** `GET`/`PUT /api/admin/settings` `{ registration: "open" | "invite" | "closed" }` (admin only). */
import { SettingsBody } from "../../../lib/accounts/api.ts";
import { setRegistrationMode } from "../../../lib/accounts/registration.ts";
import type { AppState } from "../../../lib/services.ts";
import { readJson } from "../../../lib/web/body.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    return Response.json({ registration: await ctx.state.services.accounts.registration() });
  },
  async PUT(req, ctx) {
    const body = await readJson(req, SettingsBody);
    await setRegistrationMode(await ctx.state.services.accounts.sql(), body.registration);
    return Response.json({ registration: body.registration });
  },
};
