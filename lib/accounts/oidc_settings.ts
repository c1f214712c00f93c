/**
 * OpenID Connect settings as configuration holds them (kept apart from the client library, which is
 * loaded only when OIDC is configured).
 */

/** OIDC settings from the environment. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** The callback URL registered at the provider; unset = this server's `/api/auth/oidc/callback`. */
  redirectUrl?: string;
  /** Text of the sign-in button ("Sign in with …"). */
  label: string;
}

/** True for an issuer on this machine (plain HTTP is allowed only there: development and tests). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}
