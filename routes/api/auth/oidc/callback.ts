/**
 * `GET /api/auth/oidc/callback`: the provider sends the browser back here with a code. The code is
 * exchanged (state, nonce and PKCE checked), the account found or created, a session started, and
 * the browser sent on to the page it came from; failures go to `/login?error=<code>`.
 */
import { requester } from "../../../../lib/accounts/api.ts";
import { authCookie, isHttps } from "../../../../lib/accounts/cookie.ts";
import { clearPendingCookie, readPending } from "../../../../lib/accounts/oidc.ts";
import type { AppState } from "../../../../lib/services.ts";
import { HttpError } from "../../../../lib/web/errors.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(req, ctx) {
    const { accounts } = ctx.state.services;
    const oidc = await accounts.oidc();
    if (!oidc) throw new HttpError(404, "not_found", "Sign-in through a provider is not configured");
    const secure = isHttps(req, ctx.url);
    const headers = new Headers({ "set-cookie": clearPendingCookie(secure) });
    const fail = (code: string) => {
      headers.set("location", `/login?error=${code}`);
      return new Response(null, { status: 303, headers });
    };
    const pending = readPending(req, secure);
    if (!pending) return fail("oidc_expired");
    let identity;
    try {
      identity = await oidc.finish(ctx.url, pending);
    } catch {
      return fail("oidc_failed");
    }
    try {
      const result = await accounts.signInWithOidc(identity, pending.claim, requester(req, ctx.state));
      headers.append("set-cookie", authCookie(result.token, secure, accounts.sessionTtlSeconds));
      headers.set("location", pending.next);
      return new Response(null, { status: 303, headers });
    } catch (error) {
      if (error instanceof HttpError && error.status < 500) return fail(error.code);
      throw error;
    }
  },
};
