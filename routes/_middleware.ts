/**
 * App-wide middleware: attaches the browser session (signed cookie) and the theme choice to every
 * request (the client address is found when first read: `lib/request_state.ts`). In `AUTH_MODE=accounts` it also resolves the sign-in session
 * (lib/accounts) and refuses requests that need a user (pages redirect to /login, APIs 401) or an
 * admin (403); the signed-in user's owner id then replaces the browser's for every query.
 */
import { authCookie, clearAuthCookie, isHttps, readAuthCookie } from "../lib/accounts/cookie.ts";
import { accessFor, isAccountsOnlyPath, isApiPath } from "../lib/accounts/gate.ts";
import { lookupSession } from "../lib/accounts/sessions.ts";
import type { AppState } from "../lib/services.ts";
import {
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
  SessionSigner,
  type VerifiedSession,
} from "../lib/security/session.ts";
import { jsonError } from "../lib/web/errors.ts";
import { withHeaders } from "../lib/web/headers.ts";
import type { Middleware, RouteContext } from "../lib/web/types.ts";

/** A verified session cookie's content, or null for none or an invalid one. */
type Verified = VerifiedSession | null;

// Plain calls returning promises rather than an `async` function: every request passes through here,
// and a returning browser (a remembered cookie, open mode) needs no promise of its own (round six).
export const handler: Middleware<AppState> = (req, ctx) => {
  const cookieHeader = req.headers.get("cookie");
  const raw = readCookie(cookieHeader, SESSION_COOKIE);
  if (!raw) return withSession(req, ctx, cookieHeader, null);
  const signer = ctx.state.services.signer;
  const known = signer.known(raw);
  return known !== undefined
    ? withSession(req, ctx, cookieHeader, known)
    : signer.verify(raw).then((verified) => withSession(req, ctx, cookieHeader, verified));
};

/** The rest of the middleware once the browser session cookie was checked. */
function withSession(
  req: Request,
  ctx: RouteContext<AppState>,
  cookieHeader: string | null,
  verified: Verified,
): Promise<Response> {
  const { signer, config } = ctx.state.services;
  const anonymousOwnerId = verified?.id ?? SessionSigner.newId();
  ctx.state.sessionId = anonymousOwnerId;
  ctx.state.anonymousOwnerId = anonymousOwnerId;
  // Keeps a returning anonymous owner from expiring (throttled; never throws).
  if (verified) ctx.state.services.activity.touch(ctx.state.sessionId);
  const theme = readCookie(cookieHeader, "mc_theme");
  ctx.state.theme = theme === "light" || theme === "dark" ? theme : undefined;
  const secure = isHttps(req, ctx.url);
  const extraCookies: string[] = [];

  const accounts = config.auth.mode === "accounts";
  const next = accounts
    ? signedInOnly(req, ctx, secure, extraCookies)
    : isAccountsOnlyPath(ctx.url.pathname)
    ? ctx.renderNotFound()
    : ctx.next();
  if (!accounts && verified && !verified.stale) return next; // no cookie to set
  return next.then(async (res) => {
    const cookies = [...extraCookies];
    if (!verified || verified.stale) {
      cookies.unshift(sessionCookie(await signer.sign(anonymousOwnerId), secure));
    }
    if (cookies.length === 0) return res;
    return withHeaders(res, (h) => cookies.forEach((c) => h.append("set-cookie", c)));
  });
}

async function signedInOnly(
  req: Request,
  ctx: RouteContext<AppState>,
  secure: boolean,
  cookies: string[],
): Promise<Response> {
  const { accounts } = ctx.state.services;
  const token = readAuthCookie(req, secure);
  const signedIn = token
    ? await lookupSession(await accounts.sql(), token, accounts.sessionTtlSeconds)
    : null;
  if (signedIn) {
    ctx.state.user = signedIn.user;
    ctx.state.authSessionId = signedIn.session.id;
    ctx.state.sessionId = signedIn.user.ownerId;
    if (signedIn.renewed) cookies.push(authCookie(token!, secure, accounts.sessionTtlSeconds));
  } else if (token) {
    cookies.push(clearAuthCookie(secure));
  }
  const path = ctx.url.pathname;
  const access = accessFor(req.method, path);
  if (access === "public") return await ctx.next();
  if (!signedIn) {
    if (!isApiPath(path) && (req.method === "GET" || req.method === "HEAD")) {
      const next = encodeURIComponent(path + ctx.url.search);
      return new Response(null, { status: 303, headers: { location: `/login?next=${next}` } });
    }
    return jsonError(401, "unauthenticated", "Sign in first.");
  }
  if (access === "admin" && !signedIn.user.isAdmin) {
    return isApiPath(path)
      ? jsonError(403, "forbidden", "Only an admin can do this.")
      : new Response("Only an admin can open this page.", {
        status: 403,
        headers: { "content-type": "text/plain" },
      });
  }
  return await ctx.next();
}
