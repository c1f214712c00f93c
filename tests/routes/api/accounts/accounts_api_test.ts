/**
 * The accounts API end to end in `AUTH_MODE=accounts`, on PGlite and on PostgreSQL: every route
 * refused without a session, registration (first admin, invitations), sign-in answers that do not
 * tell unknown names from wrong passwords, rate limits, sessions and devices, password changes,
 * another user's ids as 404, the admin's powers, claiming, cookie attributes and renewal.
 */
import assert from "node:assert/strict";
import { dailyTokenLimitFor } from "../../../../lib/accounts/limits.ts";
import { dailyUsage } from "../../../../lib/db/token_usage.ts";
import { utcDay } from "../../../../lib/security/token_budget.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { CookieClient } from "../../../_helpers/cookie_client.ts";
import { postgresMissing, startPostgresCluster } from "../../../_helpers/postgres_cluster.ts";
import { requireSuite } from "../../../_helpers/suites.ts";

const pgOk = requireSuite("accounts API on PostgreSQL", postgresMissing());
const MISSING = "00000000-0000-4000-8000-000000000000";
const ENV = { AUTH_MODE: "accounts", RATE_LIMIT_LOGIN: "5/h", RATE_LIMIT_LOGIN_IP: "40/h" };

type UserBody = { user: { id: string; username: string; isAdmin: boolean }; claimed: number };
type ErrorBody = { error: { code: string; message: string } };

for (const engine of ["pglite", "postgres"] as const) {
  Deno.test({
    name: `accounts API on ${engine}`,
    ignore: engine === "postgres" && !pgOk,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const cluster = engine === "postgres" ? await startPostgresCluster() : null;
      const server = await startTestServer(cluster ? { ...ENV, DATABASE_URL: cluster.url } : ENV);
      try {
        await accountSteps(t, server);
      } finally {
        await server.close();
        await cluster?.destroy();
      }
    },
  });
}

Deno.test({
  name: "AUTH_MODE=open (the default): the account pages and APIs do not exist",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const server = await startTestServer();
    try {
      const c = new CookieClient(server.url);
      for (const path of ["/login", "/register", "/account", "/admin"]) {
        const res = await c.fetch(path);
        await res.body?.cancel();
        assert.equal(res.status, 404, path);
      }
      for (
        const path of ["/api/auth/login", "/api/auth/register", "/api/admin/users", "/api/auth/sessions"]
      ) {
        const r = await c.json<ErrorBody>(path, { method: "POST", json: {} });
        assert.equal(r.status, 404, path);
        assert.equal(r.body.error.code, "not_found");
      }
      const list = await c.json("/api/conversations");
      assert.equal(list.status, 200, "conversations work without signing in");
    } finally {
      await server.close();
    }
  },
});

async function register(
  c: CookieClient,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
) {
  return await c.json<UserBody & ErrorBody>("/api/auth/register", {
    method: "POST",
    json: { username, password, ...extra },
  });
}

async function login(
  c: CookieClient,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
) {
  return await c.json<UserBody & ErrorBody>("/api/auth/login", {
    method: "POST",
    json: { username, password, ...extra },
  });
}

async function invite(admin: CookieClient): Promise<string> {
  const r = await admin.json<{ code: string; url: string }>("/api/admin/invites", { method: "POST" });
  assert.equal(r.status, 201);
  assert.ok(r.body.url.endsWith(`/register?invite=${r.body.code}`));
  return r.body.code;
}

async function accountSteps(t: Deno.TestContext, server: TestServer) {
  const sql = server.services.db.sql;
  const alice = new CookieClient(server.url, { "user-agent": "Alice laptop" });
  const bob = new CookieClient(server.url, { "user-agent": "Bob phone" });
  let aliceId = "", bobId = "", carolId = "";

  await t.step("without a session: every page redirects to /login and every API answers 401", async () => {
    const anon = new CookieClient(server.url);
    const routes = server.app.routes.map((r) => r.path.replace(/:[A-Za-z]+(\{[^}]*\})?/g, MISSING));
    assert.ok(routes.length >= 20, `routes found: ${routes.length}`);
    const open = new Set([
      "/login",
      "/register",
      "/api/health",
      "/api/auth/login",
      "/api/auth/register",
      "/api/auth/logout",
      // OpenID Connect's redirects are public (and 404 here: no provider configured).
      "/api/auth/oidc/start",
      "/api/auth/oidc/callback",
    ]);
    let checked = 0;
    for (const path of routes) {
      if (open.has(path)) continue;
      if (path.startsWith("/api/")) {
        for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
          const r = await anon.json<ErrorBody>(path, { method, json: method === "GET" ? undefined : {} });
          assert.equal(r.status, 401, `${method} ${path}`);
          assert.equal(r.body.error.code, "unauthenticated");
          checked++;
        }
      } else {
        const res = await anon.fetch(path);
        await res.body?.cancel();
        assert.equal(res.status, 303, `GET ${path}`);
        assert.equal(res.headers.get("location"), `/login?next=${encodeURIComponent(path)}`);
        checked++;
      }
    }
    assert.ok(checked > 40, `checked ${checked} method/route pairs`);
    const health = await anon.fetch("/api/health");
    await health.body?.cancel();
    assert.equal(health.status, 200, "health stays public");
    const css = await anon.fetch("/app.css");
    assert.equal(css.status, 200, "static files stay public");
    assert.match(await css.text(), /--accent/);
    const page = await anon.fetch("/login");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Sign in to Mini-Claude/);
  });

  await t.step(
    "the first account becomes admin; the cookie is HttpOnly, SameSite=Lax, not Secure on HTTP",
    async () => {
      const page = await (await alice.fetch("/register")).text();
      assert.match(page, /this first account becomes the administrator/);
      const r = await register(alice, "alice", "alice password 1");
      assert.equal(r.status, 201);
      assert.equal(r.body.user.username, "alice");
      assert.equal(r.body.user.isAdmin, true);
      aliceId = r.body.user.id;
      const cookie = r.headers.getSetCookie().find((c) => c.startsWith("mc_auth="))!;
      assert.match(cookie, /^mc_auth=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000$/);
      const me = await alice.json<{ user: { username: string } }>("/api/auth/me");
      assert.equal(me.body.user.username, "alice");
    },
  );

  await t.step(
    "later registrations need an invitation (default REGISTRATION=invite), each used once",
    async () => {
      const refused = await register(bob, "bob", "bob password 1");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, "invite_required");
      const bogus = await register(bob, "bob", "bob password 1", { invite: "x".repeat(43) });
      assert.equal(bogus.body.error.code, "invite_required");
      const code = await invite(alice);
      const ok = await register(bob, "bob", "bob password 1", { invite: code });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.user.isAdmin, false);
      bobId = ok.body.user.id;
      const again = await register(new CookieClient(server.url), "carol", "carol password", { invite: code });
      assert.equal(again.body.error.code, "invite_required", "a used invitation is refused");

      const code2 = await invite(alice);
      const taken = await register(new CookieClient(server.url), "ALICE", "another password", {
        invite: code2,
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, "username_taken");
      const carol = await register(new CookieClient(server.url), "carol", "carol password", {
        invite: code2,
      });
      assert.equal(carol.status, 201, "the invitation was not spent by the refused registration");
      carolId = carol.body.user.id;
    },
  );

  await t.step("bad registration and sign-in bodies are 400/415 with a clear message", async () => {
    const c = new CookieClient(server.url);
    const cases: [string, unknown, string][] = [
      ["/api/auth/register", { username: "dan", password: "short" }, "password: at least 8 characters"],
      ["/api/auth/register", { username: "d a n", password: "long enough" }, "username: letters"],
      ["/api/auth/register", { username: "dan", password: "long enough", admin: true }, "admin"],
      ["/api/auth/login", { username: "alice" }, "password"],
      ["/api/auth/login", { username: "", password: "x" }, "username"],
    ];
    for (const [path, json, text] of cases) {
      const r = await c.json<ErrorBody>(path, { method: "POST", json });
      assert.equal(r.status, 400, JSON.stringify(json));
      assert.equal(r.body.error.code, "invalid_body");
      assert.ok(r.body.error.message.includes(text), r.body.error.message);
    }
    const text = await c.fetch("/api/auth/login", { method: "POST", body: "username=alice" });
    assert.equal(text.status, 415);
    await text.body?.cancel();
  });

  await t.step("a wrong password and an unknown name get the same answer", async () => {
    const c = new CookieClient(server.url);
    const wrong = await login(c, "alice", "not her password");
    const unknown = await login(c, "nobody-here", "not her password");
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.deepEqual(wrong.body, {
      error: { code: "invalid_credentials", message: "Wrong username or password." },
    });
    assert.equal(c.cookies.has("mc_auth"), false);
  });

  await t.step(
    "conversations belong to the account: two sessions see the same, another user none (404)",
    async () => {
      const alice2 = new CookieClient(server.url, { "user-agent": "Alice desktop" });
      assert.equal(
        (await login(alice2, "Alice", "alice password 1")).status,
        200,
        "names are case-insensitive",
      );
      const created = await alice.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: { title: "Plans" },
      });
      assert.equal(created.status, 201);
      const id = created.body.id;
      const seen = await alice2.json<{ id: string; title: string }[]>("/api/conversations");
      assert.deepEqual(seen.body.map((c) => c.title), ["Plans"]);
      assert.equal((await bob.json<unknown[]>("/api/conversations")).body.length, 0);

      const tries: [string, string, unknown][] = [
        ["GET", `/api/conversations/${id}`, undefined],
        ["PATCH", `/api/conversations/${id}`, { title: "mine now" }],
        ["DELETE", `/api/conversations/${id}`, undefined],
        ["POST", `/api/conversations/${id}/messages`, { content: "hi" }],
        ["POST", `/api/conversations/${id}/regenerate`, {}],
        ["POST", `/api/conversations/${id}/edit`, { messageId: MISSING, content: "hi" }],
        ["POST", `/api/conversations/${id}/continue`, {}],
        ["POST", `/api/conversations/${id}/branch`, { messageId: MISSING }],
        ["POST", `/api/conversations/${id}/versions`, { messageId: MISSING, content: "hi" }],
      ];
      // A real message of alice's (stored before the model is asked; there is no model here).
      const sent = await alice.fetch(`/api/conversations/${id}/messages`, {
        method: "POST",
        json: { content: "hello" },
      });
      await sent.body?.cancel();
      const withMessages = await alice.json<{ messages: { id: string }[] }>(`/api/conversations/${id}`);
      const messageId = withMessages.body.messages[0].id;
      tries.push(
        ["GET", `/api/conversations/${id}/messages/${messageId}/stream`, undefined],
        ["POST", `/api/conversations/${id}/messages/${messageId}/stop`, {}],
      );
      for (const [method, path, json] of tries) {
        const r = await bob.json<ErrorBody>(path, { method, json });
        assert.equal(r.status, 404, `${method} ${path}`);
      }
      const page = await bob.fetch(`/c/${id}`);
      await page.body?.cancel();
      assert.equal(page.status, 404);
      const mine = await alice2.json<{ title: string }>(`/api/conversations/${id}`);
      assert.equal(mine.body.title, "Plans", "untouched");
      await alice2.fetch("/api/auth/logout", { method: "POST" }).then((r) => r.body?.cancel());
    },
  );

  await t.step("signing in again in the same browser revokes the session it replaces", async () => {
    const c = new CookieClient(server.url);
    await login(c, "carol", "carol password");
    const first = c.cookies.get("mc_auth")!;
    await login(c, "carol", "carol password");
    assert.notEqual(c.cookies.get("mc_auth"), first);
    const second = c.cookies.get("mc_auth")!;
    c.cookies.set("mc_auth", first);
    assert.equal((await c.json("/api/conversations")).status, 401, "the replaced session is gone");
    c.cookies.set("mc_auth", second);
    assert.equal((await c.json("/api/conversations")).status, 200);
    await c.fetch("/api/auth/logout", { method: "POST" }).then((r) => r.body?.cancel());
  });

  await t.step("signing out revokes the session on the server, not just the cookie", async () => {
    const c = new CookieClient(server.url);
    await login(c, "carol", "carol password");
    const token = c.cookies.get("mc_auth")!;
    const out = await c.fetch("/api/auth/logout", { method: "POST" });
    assert.equal(out.status, 204);
    assert.match(
      out.headers.getSetCookie().join("\n"),
      /mc_auth=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/,
    );
    c.cookies.set("mc_auth", token);
    assert.equal((await c.json("/api/conversations")).status, 401, "the old token no longer works");
  });

  await t.step("devices: listed with user agents, one revoked, then sign out everywhere", async () => {
    const phone2 = new CookieClient(server.url, { "user-agent": "Bob tablet" });
    await login(phone2, "bob", "bob password 1");
    const list = await bob.json<{ id: string; userAgent: string; current: boolean }[]>("/api/auth/sessions");
    assert.deepEqual(list.body.map((s) => [s.userAgent, s.current]).sort(), [["Bob phone", true], [
      "Bob tablet",
      false,
    ]]);
    const tablet = list.body.find((s) => !s.current)!;
    const foreign = await alice.json<ErrorBody>(`/api/auth/sessions/${tablet.id}`, { method: "DELETE" });
    assert.equal(foreign.status, 404, "another user's session id is not found");
    assert.equal((await bob.fetch(`/api/auth/sessions/${tablet.id}`, { method: "DELETE" })).status, 204);
    assert.equal((await phone2.json("/api/conversations")).status, 401);
    assert.equal((await bob.json("/api/conversations")).status, 200);

    await login(phone2, "bob", "bob password 1");
    const everywhere = await bob.fetch("/api/auth/sessions", { method: "DELETE" });
    assert.equal(everywhere.status, 204);
    assert.equal((await bob.json("/api/conversations")).status, 401);
    assert.equal((await phone2.json("/api/conversations")).status, 401);
    const rows = await sql`select count(*)::int as n from auth_sessions where user_id = ${bobId}`;
    assert.equal(rows[0].n, 0);
    await login(bob, "bob", "bob password 1");
  });

  await t.step("changing the password needs the current one and signs out the other sessions", async () => {
    const other = new CookieClient(server.url);
    await login(other, "bob", "bob password 1");
    const wrong = await bob.json<ErrorBody>("/api/auth/password", {
      method: "POST",
      json: { currentPassword: "nope", newPassword: "bob password 2" },
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, "wrong_password");
    const ok = await bob.json<{ signedOutSessions: number }>("/api/auth/password", {
      method: "POST",
      json: { currentPassword: "bob password 1", newPassword: "bob password 2" },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.signedOutSessions, 1);
    assert.equal((await other.json("/api/conversations")).status, 401);
    assert.equal((await bob.json("/api/conversations")).status, 200, "this session stays");
    assert.equal((await login(new CookieClient(server.url), "bob", "bob password 1")).status, 401);
    assert.equal((await login(new CookieClient(server.url), "bob", "bob password 2")).status, 200);
  });

  await t.step("admin routes: 403 for a user; user ids that are not there are 404", async () => {
    for (
      const [method, path] of [["GET", "/api/admin/users"], ["PUT", "/api/admin/settings"], [
        "POST",
        "/api/admin/invites",
      ]]
    ) {
      const r = await bob.json<ErrorBody>(path, {
        method,
        json: method === "GET" ? undefined : { registration: "open" },
      });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error.code, "forbidden");
    }
    const page = await bob.fetch("/admin");
    await page.body?.cancel();
    assert.equal(page.status, 403);
    for (const id of [MISSING, "not-a-uuid"]) {
      assert.equal(
        (await alice.json(`/api/admin/users/${id}`, { method: "PATCH", json: { disabled: true } })).status,
        404,
      );
      assert.equal((await alice.json(`/api/admin/users/${id}`, { method: "DELETE" })).status, 404);
      const reset = await alice.json(`/api/admin/users/${id}/password`, {
        method: "POST",
        json: { password: "whatever123" },
      });
      assert.equal(reset.status, 404);
    }
    const bad = await alice.json<ErrorBody>(`/api/admin/users/${bobId}`, {
      method: "PATCH",
      json: { dailyTokenLimit: -5 },
    });
    assert.equal(bad.status, 400);
    const detailed = await alice.json<{ checks?: { database?: { ok: boolean } } }>("/api/health");
    assert.equal(detailed.body.checks?.database?.ok, true, "an admin sees the detailed health report");
    const plain = await bob.json<Record<string, unknown>>("/api/health");
    assert.deepEqual(Object.keys(plain.body), ["status"], "a user sees the public answer only");
    const users = await alice.json<{ username: string }[]>("/api/admin/users");
    assert.deepEqual(users.body.map((u) => u.username), ["alice", "bob", "carol"]);
  });

  await t.step("admin disables a user: their next request is refused and they cannot sign in", async () => {
    const r = await alice.json<{ disabled: boolean }>(`/api/admin/users/${bobId}`, {
      method: "PATCH",
      json: { disabled: true },
    });
    assert.equal(r.body.disabled, true);
    assert.equal((await bob.json("/api/conversations")).status, 401);
    const again = await login(bob, "bob", "bob password 2");
    assert.equal(again.status, 403);
    assert.equal(again.body.error.code, "account_disabled");
    const wrongPw = await login(new CookieClient(server.url), "bob", "not the password");
    assert.equal(
      wrongPw.body.error.code,
      "invalid_credentials",
      "disabled is told only after the right password",
    );
    await alice.json(`/api/admin/users/${bobId}`, { method: "PATCH", json: { disabled: false } });
    assert.equal((await login(bob, "bob", "bob password 2")).status, 200);

    const self = await alice.json<ErrorBody>(`/api/admin/users/${aliceId}`, {
      method: "PATCH",
      json: { disabled: true },
    });
    assert.equal(self.status, 409);
    const promoted = await alice.json<{ isAdmin: boolean }>(`/api/admin/users/${bobId}`, {
      method: "PATCH",
      json: { isAdmin: true },
    });
    assert.equal(promoted.body.isAdmin, true);
    assert.equal((await bob.json("/api/admin/users")).status, 200, "a promoted user can administer");
    await alice.json(`/api/admin/users/${bobId}`, { method: "PATCH", json: { isAdmin: false } });
    assert.equal((await bob.json("/api/admin/users")).status, 403, "and no longer after demotion");
    const demote = await alice.json<ErrorBody>(`/api/admin/users/${aliceId}`, {
      method: "PATCH",
      json: { isAdmin: false },
    });
    assert.equal(demote.body.error.code, "last_admin");
  });

  await t.step(
    "admin sets a daily token limit, resets a password, deletes a user with their data",
    async () => {
      const limit = await alice.json<{ dailyTokenLimit: number }>(`/api/admin/users/${bobId}`, {
        method: "PATCH",
        json: { dailyTokenLimit: 1234 },
      });
      assert.equal(limit.body.dailyTokenLimit, 1234);
      assert.equal(await dailyTokenLimitFor(sql, `user:${bobId}`), 1234);
      const usage = await dailyUsage(sql, `user:${bobId}`, utcDay(Date.now()));
      assert.equal(usage.ownerLimit, 1234, "the budget code reads the admin's limit");
      const cleared = await alice.json<{ dailyTokenLimit: null }>(`/api/admin/users/${bobId}`, {
        method: "PATCH",
        json: { dailyTokenLimit: null },
      });
      assert.equal(cleared.body.dailyTokenLimit, null);
      assert.equal((await dailyUsage(sql, `user:${bobId}`, utcDay(Date.now()))).ownerLimit, null);

      const reset = await alice.fetch(`/api/admin/users/${bobId}/password`, {
        method: "POST",
        json: { password: "reset by admin" },
      });
      assert.equal(reset.status, 204);
      assert.equal((await bob.json("/api/conversations")).status, 401, "a reset signs the user out");
      assert.equal((await login(bob, "bob", "reset by admin")).status, 200);

      const carol = new CookieClient(server.url);
      await login(carol, "carol", "carol password");
      await carol.json("/api/conversations", { method: "POST", json: { title: "carol's" } });
      const before =
        await sql`select count(*)::int as n from conversations where owner_id = ${`user:${carolId}`}`;
      assert.equal(before[0].n, 1);
      assert.equal((await alice.fetch(`/api/admin/users/${carolId}`, { method: "DELETE" })).status, 204);
      const after =
        await sql`select count(*)::int as n from conversations where owner_id = ${`user:${carolId}`}`;
      assert.equal(after[0].n, 0);
      assert.equal((await carol.json("/api/conversations")).status, 401);
      assert.equal((await login(carol, "carol", "carol password")).status, 401);
    },
  );

  await t.step("registration mode set by the admin wins over the environment", async () => {
    const bad = await alice.json<ErrorBody>("/api/admin/settings", {
      method: "PUT",
      json: { registration: "maybe" },
    });
    assert.equal(bad.status, 400);
    assert.equal(
      (await alice.json("/api/admin/settings", { method: "PUT", json: { registration: "closed" } })).status,
      200,
    );
    const code = await invite(alice);
    const closed = await register(new CookieClient(server.url), "dora", "dora password", { invite: code });
    assert.equal(closed.body.error.code, "registration_closed");
    assert.match(
      await (await new CookieClient(server.url).fetch("/register")).text(),
      /Registration is closed/,
    );
    await alice.json("/api/admin/settings", { method: "PUT", json: { registration: "open" } });
    const got = await alice.json<{ registration: string }>("/api/admin/settings");
    assert.equal(got.body.registration, "open");
    assert.equal((await register(new CookieClient(server.url), "dora", "dora password")).status, 201);
  });

  await t.step("a browser's anonymous conversations move into the account only when asked", async () => {
    const browser = new CookieClient(server.url);
    await browser.fetch("/login").then((r) => r.body?.cancel());
    const anonId = browser.cookies.get("mc_session")!.split(".")[0];
    await server.services.db.createConversation(anonId, { title: "before signing in" });
    assert.match(
      await (await browser.fetch("/login")).text(),
      /Move this browser&#39;s 1 conversation into my account|Move this browser's 1 conversation/,
    );

    const declined = await login(browser, "dora", "dora password", { claim: false });
    assert.equal(declined.body.claimed, 0);
    assert.equal((await browser.json<unknown[]>("/api/conversations")).body.length, 0);
    await browser.fetch("/api/auth/logout", { method: "POST" }).then((r) => r.body?.cancel());

    const accepted = await login(browser, "dora", "dora password", { claim: true });
    assert.equal(accepted.body.claimed, 1);
    const list = await browser.json<{ title: string }[]>("/api/conversations");
    assert.deepEqual(list.body.map((c) => c.title), ["before signing in"]);

    const fresh = new CookieClient(server.url);
    await fresh.fetch("/register").then((r) => r.body?.cancel());
    const freshAnon = fresh.cookies.get("mc_session")!.split(".")[0];
    await server.services.db.createConversation(freshAnon, { title: "drafted before registering" });
    const registered = await register(fresh, "erin", "erin password", { claim: true });
    assert.equal(registered.status, 201);
    assert.equal(registered.body.claimed, 1, "registration can claim too");
    const erinList = await fresh.json<{ title: string }[]>("/api/conversations");
    assert.deepEqual(erinList.body.map((c) => c.title), ["drafted before registering"]);
  });

  await t.step(
    "behind HTTPS the cookie is __Host-mc_auth with Secure; the plain name is not read there",
    async () => {
      const https = new CookieClient(server.url, { "x-forwarded-proto": "https" });
      const r = await login(https, "dora", "dora password");
      const cookie = r.headers.getSetCookie().find((c) => c.startsWith("__Host-mc_auth="))!;
      assert.match(
        cookie,
        /^__Host-mc_auth=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
      );
      assert.equal((await https.json("/api/conversations")).status, 200);
      const token = https.cookies.get("__Host-mc_auth")!;
      const downgraded = new CookieClient(server.url, { "x-forwarded-proto": "https" });
      downgraded.cookies.set("mc_auth", token);
      assert.equal((await downgraded.json("/api/conversations")).status, 401);
    },
  );

  await t.step(
    "a session used after a minute is renewed and the cookie re-sent; an expired one is refused",
    async () => {
      const c = new CookieClient(server.url);
      await login(c, "dora", "dora password");
      const token = c.cookies.get("mc_auth")!;
      await sql`update auth_sessions set last_seen_at = now() - interval '2 minutes', expires_at = now() + interval '1 hour'
              where user_id = (select id from users where username = 'dora')`;
      const res = await c.fetch("/api/conversations");
      await res.body?.cancel();
      assert.match(
        res.headers.getSetCookie().join("\n"),
        new RegExp(`mc_auth=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000`),
      );
      const row = await sql`select extract(epoch from expires_at - now())::int as s from auth_sessions
                          where user_id = (select id from users where username = 'dora') order by last_seen_at desc limit 1`;
      assert.ok(row[0].s > 29 * 86_400, `expiry pushed out to ~30 days (${row[0].s} s)`);
      await sql`update auth_sessions set expires_at = now() - interval '1 second'
              where user_id = (select id from users where username = 'dora')`;
      const expired = await c.fetch("/api/conversations");
      await expired.body?.cancel();
      assert.equal(expired.status, 401);
      assert.match(
        expired.headers.getSetCookie().join("\n"),
        /mc_auth=; .*Max-Age=0/,
        "the dead cookie is cleared",
      );
    },
  );

  await t.step(
    "sign-in attempts are limited per account, then per address (429 with Retry-After)",
    async () => {
      const c = new CookieClient(server.url);
      let limited: { status: number; body: ErrorBody; headers: Headers } | null = null;
      for (let i = 0; i < 10 && !limited; i++) {
        const r = await login(c, "alice", "wrong password");
        if (r.status === 429) limited = r;
        else assert.equal(r.status, 401);
      }
      assert.ok(limited, "the account limit was reached");
      assert.equal(limited.body.error.code, "rate_limited");
      assert.ok(Number(limited.headers.get("retry-after")) > 0);
      const right = await login(c, "alice", "alice password 1");
      assert.equal(right.status, 429, "even the right password waits while the account is limited");

      let ipLimited = false;
      for (let i = 0; i < 60 && !ipLimited; i++) {
        const r = await login(c, `someone-${i}`, "wrong password");
        ipLimited = r.status === 429;
      }
      assert.ok(ipLimited, "the per-address limit was reached with fresh names");
    },
  );
}
