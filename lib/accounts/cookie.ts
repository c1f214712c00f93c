/**
 * The sign-in cookie. Over HTTPS it is `__Host-mc_auth` (Secure, Path=/, no Domain: browsers refuse
 * to let a sibling subdomain or a plain-HTTP page set or overwrite it). Browsers only accept
 * `__Host-` cookies marked Secure, and only over HTTPS, so on plain HTTP (`http://localhost` during
 * development) the cookie is `mc_auth` without Secure. Both are HttpOnly and SameSite=Lax.
 */
import { readCookie } from "../security/session.ts";

/** Cookie name over HTTPS. */
export const SECURE_AUTH_COOKIE = "__Host-mc_auth";
/** Cookie name over plain HTTP. */
export const PLAIN_AUTH_COOKIE = "mc_auth";

/**
 * Whether `req` reached the app over HTTPS (directly, or through a proxy that says so in
 * `X-Forwarded-Proto`; a client faking it only gets a Secure cookie its browser will not keep).
 */
export function isHttps(req: Request, url: URL): boolean {
  return url.protocol === "https:" || req.headers.get("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

/** The sign-in token the request carries under the cookie name for its scheme, or null. */
export function readAuthCookie(req: Request, secure: boolean): string | null {
  return readCookie(req.headers.get("cookie"), secure ? SECURE_AUTH_COOKIE : PLAIN_AUTH_COOKIE);
}

/** Set-Cookie value carrying `token` for `maxAgeSeconds`. */
export function authCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  const name = secure ? SECURE_AUTH_COOKIE : PLAIN_AUTH_COOKIE;
  return `${name}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(maxAgeSeconds)}${
    secure ? "; Secure" : ""
  }`;
}

/** Set-Cookie value deleting the sign-in cookie. */
export function clearAuthCookie(secure: boolean): string {
  return authCookie("", secure, 0);
}
