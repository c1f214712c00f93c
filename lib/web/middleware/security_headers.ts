/**
 * Security headers on every response: a strict Content-Security-Policy (no inline scripts, no
 * framing), nosniff, a referrer policy, and a permissions policy that allows only the microphone
 * for this origin (voice input).
 */
import { withHeaders } from "../headers.ts";
import type { Middleware } from "../types.ts";

/** Builds the Content-Security-Policy value. */
export function contentSecurityPolicy(): string {
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives).map(([k, v]) => `${k} ${v.join(" ")}`).join("; ");
}

/** The headers {@link securityHeaders} gives every response, as name/value pairs. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = Object.freeze(
  [
    ["content-security-policy", contentSecurityPolicy()],
    ["x-content-type-options", "nosniff"],
    ["referrer-policy", "strict-origin-when-cross-origin"],
    ["x-frame-options", "DENY"],
    ["cross-origin-opener-policy", "same-origin"],
    ["permissions-policy", "microphone=(self), camera=(), geolocation=()"],
  ] as const,
);

/** Marks a response built with {@link SECURITY_HEADERS} among its headers (see {@link builtSecure}). */
const BUILT_SECURE = Symbol("built with the security headers");

/** A response that may carry the {@link BUILT_SECURE} mark (a property: cheaper than a `WeakSet`). */
type Markable = Response & { [BUILT_SECURE]?: true };

/**
 * Records that `res` was built with every one of {@link SECURITY_HEADERS}, so the middleware sends it
 * as it is. Touching a response's headers after it was built costs Deno its fast path for sending it
 * (it drops the native copy of the headers it made when the response was built, and rebuilds them);
 * the page cache builds its responses this way (docs/performance.md, round five).
 */
export function builtSecure(res: Response): Response {
  (res as Markable)[BUILT_SECURE] = true;
  return res;
}

/** Middleware adding the security headers to every response. */
export function securityHeaders(): Middleware {
  return (_req, ctx) => ctx.next().then(secured);
}

function secured(res: Response): Response {
  if ((res as Markable)[BUILT_SECURE]) return res;
  return withHeaders(res, (h) => {
    for (const [name, value] of SECURITY_HEADERS) h.set(name, value);
  });
}
