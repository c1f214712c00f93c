/**
 * `GET /api/auth/oidc/start?next=/path&claim=1`: redirect to the OpenID Connect provider, keeping
 * state, nonce and PKCE verifier in a short-lived cookie. 404 when OIDC is not configured.
 */
import { isHttps } from "../../../../lib/accounts/cookie.ts";
import { pendingCookie } from "../../../../lib/accounts/oidc.ts";
import type { AppState } from "../../../../lib/services.ts";
import { HttpError } from "../../../../lib/web/errors.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(req, ctx) {
    const oidc = await ctx.state.services.accounts.oidc();
    if (!oidc) throw new HttpError(404, "not_found", "Sign-in through a provider is not configured");
    let started;
    try {
      started = await oidc.start(
        ctx.url,
        ctx.url.searchParams.get("next") ?? "/",
        ctx.url.searchParams.get("claim") === "1",
      );
    } catch {
      return new Response(null, { status: 303, headers: { location: "/login?error=oidc_unavailable" } });
    }
    return new Response(null, {
      status: 303,
      headers: {
        location: started.url.href,
        "set-cookie": pendingCookie(started.pending, isHttps(req, ctx.url)),
      },
    });
  },
};
