/**
 * A local OpenID Connect provider speaking the protocol parts Mini-Claude's sign-in uses, so the real
 * `openid-client` library can be tested offline:
 *
 * - `GET /.well-known/openid-configuration` (discovery), `GET /jwks` (the RS256 public key);
 * - `GET /authorize`: checks `client_id`, `redirect_uri`, `response_type=code`, a `state`, a `nonce`
 *   and an S256 `code_challenge`, then redirects back with a one-time code (the signed-in person is
 *   whoever the test set as {@link OidcStub.user});
 * - `POST /token`: checks the client secret (Basic or body), the code (once), the redirect URI and
 *   the PKCE verifier, and returns an access token and an ID token signed with WebCrypto (RS256);
 * - `GET /userinfo` with the access token.
 *
 * Faults for tests: a wrong nonce or issuer in the ID token, a signature by an unknown key.
 * Every request is logged (method, path, query or form).
 */

/** A person at the provider. */
export interface StubUser {
  sub: string;
  preferred_username?: string;
  email?: string;
  name?: string;
}

/** Faults the next ID tokens carry. */
export interface StubFaults {
  wrongNonce?: boolean;
  wrongIssuer?: boolean;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
}

/** A running stub provider. */
export interface OidcStub {
  /** Issuer URL (`http://127.0.0.1:<port>`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in at `/authorize`. */
  user: StubUser;
  faults: StubFaults;
  log: { method: string; path: string; params: Record<string, string> }[];
  close(): Promise<void>;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  nonce: string;
  challenge: string;
  user: StubUser;
}

const b64url = (bytes: Uint8Array | ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
const text = (s: string) => b64url(new TextEncoder().encode(s));

async function rsaKey(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
}

async function signJwt(key: CryptoKey, kid: string, claims: Record<string, unknown>): Promise<string> {
  const head = text(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
  const body = text(JSON.stringify(claims));
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(`${head}.${body}`));
  return `${head}.${body}.${b64url(sig)}`;
}

/** Starts the stub on a free loopback port for client `clientId`/`clientSecret`. */
export async function startOidcStub(
  opts: { clientId?: string; clientSecret?: string; user?: StubUser } = {},
): Promise<OidcStub> {
  const keys = await rsaKey();
  const foreign = await rsaKey();
  const kid = "stub-key-1";
  const jwk = { ...(await crypto.subtle.exportKey("jwk", keys.publicKey)), kid, use: "sig", alg: "RS256" };
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, StubUser>();
  let issuer = "";
  const stub: OidcStub = {
    issuer: "",
    clientId: opts.clientId ?? "mini-claude",
    clientSecret: opts.clientSecret ?? "stub-secret-0123456789",
    user: opts.user ?? { sub: "248289761001", preferred_username: "jane", email: "jane@example.org" },
    faults: {},
    log: [],
    close: () => Promise.resolve(),
  };
  const json = (body: unknown, status = 200) =>
    Response.json(body, { status, headers: { "cache-control": "no-store" } });
  const oauthError = (error: string, description: string, status = 400) =>
    json({ error, error_description: description }, status);

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const form = req.method === "POST" ? Object.fromEntries(new URLSearchParams(await req.text())) : {};
    const params = req.method === "POST" ? form : Object.fromEntries(url.searchParams);
    stub.log.push({ method: req.method, path: url.pathname, params });

    if (url.pathname === "/.well-known/openid-configuration") {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        scopes_supported: ["openid", "profile", "email"],
      });
    }
    if (url.pathname === "/jwks") return json({ keys: [jwk] });

    if (url.pathname === "/authorize" && req.method === "GET") {
      const p = url.searchParams;
      if (p.get("client_id") !== stub.clientId) return oauthError("unauthorized_client", "unknown client_id");
      const redirectUri = p.get("redirect_uri");
      if (!redirectUri) return oauthError("invalid_request", "redirect_uri is required");
      if (p.get("response_type") !== "code") return oauthError("unsupported_response_type", "code only");
      if (!(p.get("scope") ?? "").split(" ").includes("openid")) return oauthError("invalid_scope", "openid");
      const state = p.get("state"), nonce = p.get("nonce"), challenge = p.get("code_challenge");
      if (!state || !nonce || !challenge || p.get("code_challenge_method") !== "S256") {
        return oauthError("invalid_request", "state, nonce and an S256 code_challenge are required");
      }
      const code = b64url(crypto.getRandomValues(new Uint8Array(24)));
      codes.set(code, { clientId: stub.clientId, redirectUri, nonce, challenge, user: { ...stub.user } });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", state);
      back.searchParams.set("iss", issuer);
      return new Response(null, { status: 302, headers: { location: back.href } });
    }

    if (url.pathname === "/token" && req.method === "POST") {
      let id = form.client_id, secret = form.client_secret;
      const basic = req.headers.get("authorization");
      if (basic?.startsWith("Basic ")) {
        [id, secret] = atob(basic.slice(6)).split(":").map(decodeURIComponent);
      }
      if (id !== stub.clientId || secret !== stub.clientSecret) {
        return oauthError("invalid_client", "client authentication failed", 401);
      }
      if (form.grant_type !== "authorization_code") return oauthError("unsupported_grant_type", "code only");
      const issued = codes.get(form.code ?? "");
      codes.delete(form.code ?? "");
      if (!issued) return oauthError("invalid_grant", "unknown or used code");
      if (issued.redirectUri !== form.redirect_uri) {
        return oauthError("invalid_grant", "redirect_uri mismatch");
      }
      const digest = await crypto.subtle.digest(
        "SHA-256",
        new TextEncoder().encode(form.code_verifier ?? ""),
      );
      if (b64url(digest) !== issued.challenge) return oauthError("invalid_grant", "PKCE verification failed");
      const now = Math.floor(Date.now() / 1000);
      const idToken = await signJwt(stub.faults.foreignKey ? foreign.privateKey : keys.privateKey, kid, {
        iss: stub.faults.wrongIssuer ? `${issuer}/other` : issuer,
        sub: issued.user.sub,
        aud: stub.clientId,
        iat: now,
        exp: now + 300,
        nonce: stub.faults.wrongNonce ? "not-the-nonce" : issued.nonce,
        ...(issued.user.preferred_username ? { preferred_username: issued.user.preferred_username } : {}),
        ...(issued.user.email ? { email: issued.user.email } : {}),
        ...(issued.user.name ? { name: issued.user.name } : {}),
      });
      const access = b64url(crypto.getRandomValues(new Uint8Array(24)));
      tokens.set(access, issued.user);
      return json({
        access_token: access,
        token_type: "Bearer",
        expires_in: 300,
        id_token: idToken,
        scope: "openid",
      });
    }

    if (url.pathname === "/userinfo") {
      const user = tokens.get((req.headers.get("authorization") ?? "").replace(/^Bearer /, ""));
      return user ? json(user) : json({ error: "invalid_token" }, 401);
    }
    return json({ error: "not_found" }, 404);
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  issuer = `http://127.0.0.1:${server.addr.port}`;
  stub.issuer = issuer;
  stub.close = async () => {
    await server.shutdown();
  };
  return stub;
}
