/**
 * CSRF defense for state-changing requests: browsers send `Sec-Fetch-Site` and `Origin`; a request
 * that a browser marks cross-site, or whose Origin is not this server's, is refused with 403.
 * Requests without either header (curl, server-to-server) carry no ambient browser cookies from
 * another site and pass.
 */
import { jsonError } from "../errors.ts";
import type { Middleware } from "../types.ts";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Middleware refusing cross-site state-changing requests. */
export function csrf(): Middleware {
  return (req, ctx) => {
    if (SAFE.has(req.method)) return ctx.next();
    const site = req.headers.get("sec-fetch-site");
    if (site !== null && site !== "same-origin" && site !== "none") return Promise.resolve(refuse());
    const origin = req.headers.get("origin");
    if (origin !== null && origin !== expectedOrigin(req, ctx.url)) return Promise.resolve(refuse());
    return ctx.next();
  };
}

function expectedOrigin(req: Request, url: URL): string {
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  return `${proto}://${host}`;
}

function refuse(): Response {
  return jsonError(403, "cross_site_request", "Cross-site requests that change data are not allowed");
}
