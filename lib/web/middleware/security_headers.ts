/**
 * Security headers on every response: a strict Content-Security-Policy (no inline scripts, no
 * framing), nosniff, a referrer policy, and a permissions policy that allows only the microphone
 * for this origin (voice input).
 */
import { withHeaders } from "../headers.ts";
import type { Middleware } from "../types.ts";

/** Options of {@link securityHeaders}. */
export interface SecurityHeadersOptions {
  /** Extra CSP sources per directive, e.g. `{ "connect-src": ["https://example.com"] }`. */
  extraSources?: Record<string, string[]>;
}

/** Builds the Content-Security-Policy value. */
export function contentSecurityPolicy(extra: Record<string, string[]> = {}): string {
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
  for (const [name, sources] of Object.entries(extra)) {
    directives[name] = [...(directives[name] ?? []), ...sources];
  }
  return Object.entries(directives).map(([k, v]) => `${k} ${v.join(" ")}`).join("; ");
}

/** Middleware adding the security headers to every response. */
export function securityHeaders(options: SecurityHeadersOptions = {}): Middleware {
  const csp = contentSecurityPolicy(options.extraSources);
  return async (_req, ctx) => {
    return withHeaders(await ctx.next(), (h) => {
      h.set("content-security-policy", csp);
      h.set("x-content-type-options", "nosniff");
      h.set("referrer-policy", "strict-origin-when-cross-origin");
      h.set("x-frame-options", "DENY");
      h.set("cross-origin-opener-policy", "same-origin");
      h.set("permissions-policy", "microphone=(self), camera=(), geolocation=()");
    });
  };
}
