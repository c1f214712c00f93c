/** App-wide middleware: attaches the browser session (signed cookie) and the theme choice to every request. */
import type { AppState } from "../lib/services.ts";
import { clientIp } from "../lib/security/client_ip.ts";
import { readCookie, SESSION_COOKIE, sessionCookie, SessionSigner } from "../lib/security/session.ts";
import type { Middleware } from "../lib/web/types.ts";

export const handler: Middleware<AppState> = async (req, ctx) => {
  const { signer } = ctx.state.services;
  const raw = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  const verified = raw ? await signer.verify(raw) : null;
  ctx.state.sessionId = verified?.id ?? SessionSigner.newId();
  // Keeps a returning anonymous owner from expiring (throttled; never throws).
  if (verified) ctx.state.services.activity.touch(ctx.state.sessionId);
  ctx.state.clientIp = clientIp(req, ctx.remoteAddr, ctx.state.services.config.trustProxyHops);
  const theme = readCookie(req.headers.get("cookie"), "mc_theme");
  ctx.state.theme = theme === "light" || theme === "dark" ? theme : undefined;
  const res = await ctx.next();
  if (!verified || verified.stale) {
    const secure = ctx.url.protocol === "https:" || req.headers.get("x-forwarded-proto") === "https";
    res.headers.append("set-cookie", sessionCookie(await signer.sign(ctx.state.sessionId), secure));
  }
  return res;
};
