/**
 * OpenID Connect sign-in through the real `openid-client` against a local provider
 * (tests/stubs/oidc_server.ts): PKCE, state and nonce are sent and checked, accounts are linked by
 * (issuer, subject), and every forged or mismatched answer is refused without signing anyone in.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../../../lib/config.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { CookieClient } from "../../../_helpers/cookie_client.ts";
import { type OidcStub, startOidcStub } from "../../../stubs/oidc_server.ts";

/** Runs the browser's side of the redirects; returns the app's answer to the callback. */
async function oidcSignIn(c: CookieClient, opts: { next?: string; claim?: boolean } = {}) {
  const start = await c.fetch(
    `/api/auth/oidc/start?next=${encodeURIComponent(opts.next ?? "/")}&claim=${opts.claim ? 1 : 0}`,
  );
  await start.body?.cancel();
  assert.equal(start.status, 303);
  const atProvider = await fetch(start.headers.get("location")!, { redirect: "manual" });
  await atProvider.body?.cancel();
  assert.equal(atProvider.status, 302, "the provider accepted the authorization request");
  const callback = new URL(atProvider.headers.get("location")!);
  const res = await c.fetch(callback.pathname + callback.search);
  await res.body?.cancel();
  return { res, callback };
}

Deno.test({
  name: "OIDC sign-in against a local OpenID provider",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const stub: OidcStub = await startOidcStub();
    const server: TestServer = await startTestServer({
      AUTH_MODE: "accounts",
      OIDC_ISSUER: stub.issuer,
      OIDC_CLIENT_ID: stub.clientId,
      OIDC_CLIENT_SECRET: stub.clientSecret,
      OIDC_LABEL: "Stub IdP",
    });
    const sql = server.services.db.sql;
    try {
      let janeId = "";
      await t.step("the sign-in page offers the provider", async () => {
        const html = await (await new CookieClient(server.url).fetch("/login")).text();
        assert.match(html, /Sign in with <!-- -->Stub IdP|Sign in with Stub IdP/);
      });

      await t.step(
        "first sign-in: PKCE S256, state and nonce; an account linked to the subject (admin: first)",
        async () => {
          const c = new CookieClient(server.url);
          const { res, callback } = await oidcSignIn(c, { next: "/account" });
          assert.equal(res.status, 303);
          assert.equal(res.headers.get("location"), "/account");
          assert.match(
            res.headers.getSetCookie().join("\n"),
            /mc_oidc=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/,
          );
          assert.ok(c.cookies.has("mc_auth"));
          const me = await c.json<
            { user: { id: string; username: string; isAdmin: boolean; hasPassword: boolean } }
          >(
            "/api/auth/me",
          );
          assert.equal(me.body.user.username, "jane");
          assert.equal(me.body.user.isAdmin, true);
          assert.equal(me.body.user.hasPassword, false);
          janeId = me.body.user.id;
          const row = await sql`select oidc_issuer, oidc_subject from users where id = ${janeId}`;
          assert.deepEqual({ ...row[0] }, { oidc_issuer: stub.issuer, oidc_subject: "248289761001" });

          const authorize = stub.log.find((l) => l.path === "/authorize")!.params;
          assert.equal(authorize.code_challenge_method, "S256");
          assert.match(authorize.code_challenge, /^[A-Za-z0-9_-]{43}$/);
          assert.equal(authorize.redirect_uri, `${server.url}/api/auth/oidc/callback`);
          assert.equal(authorize.state, callback.searchParams.get("state"));
          assert.ok(authorize.nonce.length >= 32);
          const token = stub.log.find((l) => l.path === "/token")!.params;
          assert.match(token.code_verifier, /^[A-Za-z0-9_-]{43,128}$/);
        },
      );

      await t.step(
        "signing in again finds the same account; a second person with the same name gets jane-2",
        async () => {
          const again = new CookieClient(server.url);
          await oidcSignIn(again);
          const me = await again.json<{ user: { id: string } }>("/api/auth/me");
          assert.equal(me.body.user.id, janeId);
          const n = await sql`select count(*)::int as n from users`;
          assert.equal(n[0].n, 1);

          stub.user = { sub: "other-subject", preferred_username: "Jane" };
          const other = new CookieClient(server.url);
          await oidcSignIn(other);
          const me2 = await other.json<{ user: { username: string; isAdmin: boolean } }>("/api/auth/me");
          assert.deepEqual(me2.body.user.username, "Jane-2");
          assert.equal(me2.body.user.isAdmin, false);
        },
      );

      await t.step("forged or mismatched answers sign nobody in", async () => {
        const refused = async (c: CookieClient, path: string, code: string) => {
          const res = await c.fetch(path);
          await res.body?.cancel();
          assert.equal(res.status, 303, path);
          assert.equal(res.headers.get("location"), `/login?error=${code}`);
          assert.equal(c.cookies.has("mc_auth"), false);
        };
        // The callback in a browser that never started the sign-in.
        const c1 = new CookieClient(server.url);
        const { callback } = await oidcSignIn(new CookieClient(server.url));
        await refused(c1, callback.pathname + callback.search, "oidc_expired");

        // A started sign-in, but the callback carries another state (and an already used code).
        const c2 = new CookieClient(server.url);
        const start = await c2.fetch("/api/auth/oidc/start");
        await start.body?.cancel();
        await refused(c2, callback.pathname + callback.search, "oidc_failed");

        for (const fault of ["wrongNonce", "foreignKey", "wrongIssuer"] as const) {
          stub.faults = { [fault]: true };
          const c = new CookieClient(server.url);
          const { res } = await oidcSignIn(c);
          assert.equal(res.headers.get("location"), "/login?error=oidc_failed", fault);
          assert.equal(c.cookies.has("mc_auth"), false, fault);
        }
        stub.faults = {};
        const page = await (await new CookieClient(server.url).fetch("/login?error=oidc_failed")).text();
        assert.match(page, /could not be verified/);
      });

      await t.step("closed registration creates no account; a disabled account is refused", async () => {
        const admin = new CookieClient(server.url);
        stub.user = { sub: "248289761001", preferred_username: "jane" };
        await oidcSignIn(admin);
        await admin.json("/api/admin/settings", { method: "PUT", json: { registration: "closed" } });
        stub.user = { sub: "newcomer", preferred_username: "newcomer" };
        const c = new CookieClient(server.url);
        const { res } = await oidcSignIn(c);
        assert.equal(res.headers.get("location"), "/login?error=registration_closed");
        assert.equal((await sql`select 1 from users where oidc_subject = 'newcomer'`).length, 0);

        const jane2 = (await sql`select id from users where oidc_subject = 'other-subject'`)[0].id as string;
        await admin.json(`/api/admin/users/${jane2}`, { method: "PATCH", json: { disabled: true } });
        stub.user = { sub: "other-subject", preferred_username: "Jane" };
        const d = new CookieClient(server.url);
        const disabled = await oidcSignIn(d);
        assert.equal(disabled.res.headers.get("location"), "/login?error=account_disabled");
      });
    } finally {
      await server.close();
      await stub.close();
    }
  },
});

Deno.test({
  name: "OIDC routes are 404 when not configured, and the settings are validated",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const server = await startTestServer({ AUTH_MODE: "accounts" });
    try {
      const r = await new CookieClient(server.url).json<{ error: { code: string } }>("/api/auth/oidc/start");
      assert.equal(r.status, 404);
      const page = await (await new CookieClient(server.url).fetch("/login")).text();
      assert.doesNotMatch(page, /Sign in with/);
    } finally {
      await server.close();
    }
    assert.throws(() => loadConfig({ OIDC_ISSUER: "https://id.example.org" }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, ["OIDC_CLIENT_ID: required when OIDC_ISSUER is set"]);
      return true;
    });
    assert.throws(
      () => loadConfig({ OIDC_ISSUER: "http://id.example.org", OIDC_CLIENT_ID: "x" }),
      /OIDC_ISSUER: expected an https:\/\/ issuer \(http:\/\/ only on localhost\)/,
    );
    const ok = loadConfig({
      OIDC_ISSUER: "https://id.example.org",
      OIDC_CLIENT_ID: "x",
      OIDC_CLIENT_SECRET: "s",
    });
    assert.deepEqual(ok.auth.oidc, {
      issuer: "https://id.example.org",
      clientId: "x",
      clientSecret: "s",
      redirectUrl: undefined,
      label: "single sign-on",
    });
  },
});
