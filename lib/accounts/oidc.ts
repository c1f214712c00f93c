/**
 * OpenID Connect sign-in (authorization code flow with PKCE S256, state and nonce) through
 * `openid-client` v6, the maintained certified client. The provider's metadata is discovered once
 * (and again after a failure); the ID token's signature (against the provider's JWKS), issuer,
 * audience, expiry and nonce are checked by the library. Between the redirect to the provider and the callback, the state, nonce
 * and PKCE verifier wait in a short-lived HttpOnly cookie in the browser that started the sign-in
 * (`__Host-` over HTTPS), so any instance can finish it.
 */
import * as client from "openid-client";
import { readCookie } from "../security/session.ts";
import { safeNext } from "./gate.ts";
import { isLoopbackUrl, type OidcSettings } from "./oidc_settings.ts";

export type { OidcSettings };

/** What waits in the browser between start and callback. */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  /** Page to open afterwards (same-origin path). */
  next: string;
  /** Move this browser's anonymous conversations into the account. */
  claim: boolean;
}

/** A verified identity from the provider. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** A username suggestion (preferred_username, email's local part, name or subject). */
  username: string;
}

/** The callback path this server serves. */
export const CALLBACK_PATH = "/api/auth/oidc/callback";
const COOKIE = "mc_oidc";
const SECURE_COOKIE = "__Host-mc_oidc";
const PENDING_MAX_AGE_S = 600;

/** Sign-in through one OpenID Connect provider. */
export class OidcProvider {
  #config: Promise<client.Configuration> | null = null;
  constructor(readonly settings: OidcSettings) {}

  /** The discovered client configuration (retried on the next call after a failure). */
  config(): Promise<client.Configuration> {
    this.#config ??= client.discovery(
      new URL(this.settings.issuer),
      this.settings.clientId,
      this.settings.clientSecret,
      undefined,
      {
        // The ID token comes straight from the token endpoint over TLS, where the spec lets clients
        // skip its signature; we check it against the provider's JWKS anyway (defence in depth, and
        // plain-HTTP loopback providers in development have no TLS to lean on).
        execute: isLoopbackUrl(this.settings.issuer)
          ? [client.enableNonRepudiationChecks, client.allowInsecureRequests]
          : [client.enableNonRepudiationChecks],
      },
    ).catch((error) => {
      this.#config = null;
      throw error;
    });
    return this.#config;
  }

  /** The redirect URL for a request arriving at `requestUrl` (the configured one when set). */
  redirectUrl(requestUrl: URL): string {
    return this.settings.redirectUrl ?? new URL(CALLBACK_PATH, requestUrl.origin).href;
  }

  /** The provider's authorization URL and the pending login to keep in the browser. */
  async start(requestUrl: URL, next: string, claim: boolean): Promise<{ url: URL; pending: PendingLogin }> {
    const config = await this.config();
    const pending: PendingLogin = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      next: safeNext(next),
      claim,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUrl(requestUrl),
      scope: "openid profile email",
      response_type: "code",
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
    });
    return { url, pending };
  }

  /**
   * Exchanges the callback's code (PKCE verifier, state and nonce checked) and returns the
   * verified identity. Throws when anything does not match.
   */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<OidcIdentity> {
    const config = await this.config();
    // The code was issued for the registered redirect URL: present the callback under that URL
    // (behind a proxy the request's own URL may differ in scheme or host).
    const current = new URL(this.redirectUrl(callbackUrl));
    current.search = callbackUrl.search;
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    const pick = (v: unknown) => typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
    const username = pick(claims.preferred_username) ?? pick(claims.email)?.split("@")[0] ??
      pick(claims.name) ??
      claims.sub;
    return { issuer: claims.iss, subject: claims.sub, username };
  }
}

/** Set-Cookie value keeping `pending` in the browser for ten minutes. */
export function pendingCookie(pending: PendingLogin, secure: boolean): string {
  const value = btoa(JSON.stringify(pending)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${
    secure ? SECURE_COOKIE : COOKIE
  }=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${PENDING_MAX_AGE_S}${secure ? "; Secure" : ""}`;
}

/** Set-Cookie value deleting the pending login. */
export function clearPendingCookie(secure: boolean): string {
  return `${secure ? SECURE_COOKIE : COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${
    secure ? "; Secure" : ""
  }`;
}

/** The pending login the request carries, or null when absent or malformed. */
export function readPending(req: Request, secure: boolean): PendingLogin | null {
  const raw = readCookie(req.headers.get("cookie"), secure ? SECURE_COOKIE : COOKIE);
  if (!raw || raw.length > 2000) return null;
  try {
    const b64 = raw.replace(/-/g, "+").replace(/_/g, "/");
    const v = JSON.parse(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)));
    const ok = typeof v?.state === "string" && typeof v.nonce === "string" &&
      typeof v.verifier === "string" &&
      typeof v.next === "string" && typeof v.claim === "boolean";
    return ok
      ? { state: v.state, nonce: v.nonce, verifier: v.verifier, next: safeNext(v.next), claim: v.claim }
      : null;
  } catch {
    return null;
  }
}
