/**
 * The accounts tables' behaviour every engine must show (lib/accounts on PGlite and PostgreSQL):
 * users and the first admin, sessions (hash only, renewal, expiry, revocation), invitations,
 * claiming, per-user limits and deletion with all data. `accounts_pglite_test.ts` and
 * `accounts_postgres_test.ts` run it.
 */
import assert from "node:assert/strict";
import type { Database } from "../../lib/db/mod.ts";
import { claimConversations, countClaimable } from "../../lib/accounts/claim.ts";
import { dailyTokenLimitFor } from "../../lib/accounts/limits.ts";
import { createInvite, inviteValid, spendInvite } from "../../lib/accounts/registration.ts";
import {
  createSession,
  deleteExpiredSessions,
  listSessions,
  lookupSession,
  revokeAllSessions,
  revokeSession,
  revokeToken,
} from "../../lib/accounts/sessions.ts";
import { hashToken } from "../../lib/accounts/tokens.ts";
import { expireAnonymousOwners } from "../../lib/db/owner_expiry.ts";
import * as users from "../../lib/accounts/users.ts";

const HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
const DAY = 86_400;

/** Runs the accounts steps against `db` (a database with no users yet) inside test `t`. */
export async function runAccountsSuite(t: Deno.TestContext, db: Database): Promise<void> {
  await db.migrate();
  const sql = db.sql;
  let admin: users.User;

  await t.step(
    "concurrent first registrations: exactly one becomes admin; names are case-insensitive",
    async () => {
      const created = await Promise.all(
        ["ada", "bob", "cy", "dee"].map((name) =>
          users.createUser(sql, { username: name, passwordHash: HASH })
        ),
      );
      assert.ok(created.every((u) => u !== null));
      assert.equal(created.filter((u) => u!.isAdmin).length, 1);
      admin = created.find((u) => u!.isAdmin)!;
      assert.equal(admin.ownerId, `user:${admin.id}`);
      const owner = await sql`select id from owners where id = ${admin.ownerId}`;
      assert.equal(owner.length, 1, "the user's owner row exists");
      assert.equal(await users.createUser(sql, { username: "ADA", passwordHash: HASH }), null);
      const found = await users.findByUsername(sql, "Ada");
      assert.equal(found?.user.username, "ada");
      assert.equal(found?.passwordHash, HASH);
    },
  );

  await t.step("sessions: only the token's SHA-256 is stored; lookup, list, revoke", async () => {
    const bob = (await users.findByUsername(sql, "bob"))!.user;
    const one = await createSession(sql, bob.id, "Firefox", 30 * DAY);
    const two = await createSession(sql, bob.id, "Chromium", 30 * DAY);
    assert.match(one.token, /^[A-Za-z0-9_-]{43}$/);
    const stored = await sql`select token_hash from auth_sessions where id = ${one.session.id}`;
    assert.equal(stored[0].token_hash, await hashToken(one.token));
    const n = await sql`select count(*)::int as n from auth_sessions where token_hash = ${one.token}`;
    assert.equal(n[0].n, 0, "the raw token is nowhere in the table");

    const found = await lookupSession(sql, one.token, 30 * DAY);
    assert.equal(found?.user.id, bob.id);
    assert.equal(found?.session.userAgent, "Firefox");
    assert.equal(found?.renewed, false, "a fresh session is not renewed again");
    assert.equal(await lookupSession(sql, "x".repeat(43), 30 * DAY), null);
    assert.equal(await lookupSession(sql, "not a token", 30 * DAY), null);
    assert.deepEqual((await listSessions(sql, bob.id)).map((s) => s.userAgent).sort(), [
      "Chromium",
      "Firefox",
    ]);

    assert.equal(
      await revokeSession(sql, admin.id, two.session.id),
      false,
      "another user's session is not theirs",
    );
    assert.equal(await revokeSession(sql, bob.id, two.session.id), true);
    assert.equal(await lookupSession(sql, two.token, 30 * DAY), null);
    assert.equal(await revokeToken(sql, one.token), true);
    assert.equal(await lookupSession(sql, one.token, 30 * DAY), null);
  });

  await t.step("expiry is renewed on use (after a minute) and an expired session is refused", async () => {
    const cy = (await users.findByUsername(sql, "cy"))!.user;
    const s = await createSession(sql, cy.id, "", 3600);
    await sql`update auth_sessions set last_seen_at = now() - interval '10 minutes',
              expires_at = now() + interval '50 minutes' where id = ${s.session.id}`;
    const before = Date.now();
    const renewed = await lookupSession(sql, s.token, 3600);
    assert.equal(renewed?.renewed, true);
    const expires = Date.parse(renewed!.session.expiresAt);
    assert.ok(
      expires >= before + 3590_000,
      `expiry moved to about an hour from now (${renewed!.session.expiresAt})`,
    );
    assert.equal((await lookupSession(sql, s.token, 3600))?.renewed, false, "not again within a minute");

    await sql`update auth_sessions set expires_at = now() - interval '1 second' where id = ${s.session.id}`;
    assert.equal(await lookupSession(sql, s.token, 3600), null);
    assert.ok(await deleteExpiredSessions(sql) >= 1);
    assert.equal((await sql`select 1 from auth_sessions where id = ${s.session.id}`).length, 0);
  });

  await t.step("a disabled user's sessions stop working; revoke all", async () => {
    const dee = (await users.findByUsername(sql, "dee"))!.user;
    const a = await createSession(sql, dee.id, "a", DAY);
    const b = await createSession(sql, dee.id, "b", DAY);
    assert.equal((await users.updateUser(sql, dee.id, { disabled: true }))?.disabled, true);
    assert.equal(await lookupSession(sql, a.token, DAY), null);
    assert.equal((await users.updateUser(sql, dee.id, { disabled: false }))?.disabled, false);
    assert.equal((await lookupSession(sql, a.token, DAY))?.user.id, dee.id);
    assert.equal(await revokeAllSessions(sql, dee.id), 2);
    assert.equal(await lookupSession(sql, b.token, DAY), null);
  });

  await t.step("invitations: one use each, even when two registrations race", async () => {
    const { code } = await createInvite(sql, admin.id, DAY);
    assert.equal(await inviteValid(sql, code), true);
    const racers = await Promise.allSettled(
      ["eve", "fay"].map((name) =>
        users.createUser(sql, { username: name, passwordHash: HASH }, {
          afterInsert: async (tx, user) => {
            if (!await spendInvite(tx, code, user.id)) throw new Error("invite spent");
          },
        })
      ),
    );
    assert.equal(racers.filter((r) => r.status === "fulfilled").length, 1);
    assert.equal(racers.filter((r) => r.status === "rejected").length, 1);
    const names = (await users.listUsers(sql)).map((u) => u.username);
    assert.equal(
      names.filter((n) => n === "eve" || n === "fay").length,
      1,
      "the refused one was rolled back",
    );
    assert.equal(await inviteValid(sql, code), false);
    const expired = await createInvite(sql, admin.id, 1);
    await sql`update invites set expires_at = now() - interval '1 second'`;
    assert.equal(await inviteValid(sql, expired.code), false);
  });

  await t.step("claiming moves an anonymous browser's conversations, never another account's", async () => {
    const bob = (await users.findByUsername(sql, "bob"))!.user;
    const cy = (await users.findByUsername(sql, "cy"))!.user;
    const anon = `anon-${crypto.randomUUID()}`;
    await db.createConversation(anon, { title: "one" });
    await db.createConversation(anon, { title: "two" });
    await db.createConversation(cy.ownerId, { title: "cy's" });
    assert.equal(await countClaimable(sql, anon), 2);
    assert.equal(await claimConversations(sql, cy.ownerId, bob.ownerId), 0, "user owners are not claimable");
    assert.equal(await claimConversations(sql, anon, bob.ownerId), 2);
    assert.deepEqual((await db.listConversations(bob.ownerId)).map((c) => c.title).sort(), ["one", "two"]);
    assert.equal(await countClaimable(sql, anon), 0);
    assert.equal((await db.listConversations(cy.ownerId)).length, 1);
  });

  await t.step("daily token limit per user, readable by owner id", async () => {
    const bob = (await users.findByUsername(sql, "bob"))!.user;
    assert.equal(await dailyTokenLimitFor(sql, bob.ownerId), null);
    assert.equal((await users.updateUser(sql, bob.id, { dailyTokenLimit: 50_000 }))?.dailyTokenLimit, 50_000);
    assert.equal(await dailyTokenLimitFor(sql, bob.ownerId), 50_000);
    assert.equal(await dailyTokenLimitFor(sql, "some-anonymous-browser"), null);
    await users.updateUser(sql, bob.id, { disabled: false });
    assert.equal(await dailyTokenLimitFor(sql, bob.ownerId), 50_000, "other patches keep the limit");
    await users.updateUser(sql, bob.id, { dailyTokenLimit: null });
    assert.equal(await dailyTokenLimitFor(sql, bob.ownerId), null);
  });

  await t.step("an OIDC identity (issuer, subject) links to one account without a password", async () => {
    const oidc = { issuer: "https://id.example.org", subject: "s-1" };
    const linked = await users.createUser(sql, { username: "oidc-user", passwordHash: null, oidc });
    assert.equal(linked?.hasPassword, false);
    assert.equal((await users.findByOidc(sql, oidc.issuer, oidc.subject))?.id, linked!.id);
    assert.equal(await users.findByOidc(sql, "https://other.example.org", "s-1"), null);
    assert.equal(await users.createUser(sql, { username: "oidc-user-2", passwordHash: null, oidc }), null);
  });

  await t.step("the expiry of abandoned anonymous owners never deletes an account's owner", async () => {
    const anon = `anon-old-${crypto.randomUUID()}`;
    await sql`insert into owners (id) values (${anon})`;
    await sql`update owners set last_active_at = now() - interval '400 days'`;
    await sql`update conversations set updated_at = now() - interval '400 days'`;
    const expired = await expireAnonymousOwners(sql, 30);
    assert.ok(expired.includes(anon));
    assert.ok(expired.every((id) => !id.startsWith("user:")), expired.join(", "));
    const left = await sql`select count(*)::int as n from users u join owners o on o.id = u.owner_id`;
    assert.equal(left[0].n, (await users.listUsers(sql)).length);
    assert.ok(left[0].n >= 4);
  });

  await t.step("deleting a user deletes their owner row, sessions and conversations", async () => {
    const cy = (await users.findByUsername(sql, "cy"))!.user;
    const conv = await db.createConversation(cy.ownerId, { title: "to go" });
    await db.appendMessage(cy.ownerId, conv.id, { role: "user", content: "hi" });
    await createSession(sql, cy.id, "x", DAY);
    assert.equal(await users.deleteUser(sql, cy.id), true);
    assert.equal(await users.getUser(sql, cy.id), null);
    for (const [table, where] of [["owners", "id"], ["conversations", "owner_id"]] as const) {
      const rows = await sql`select 1 from ${sql(table)} where ${sql(where)} = ${cy.ownerId}`;
      assert.equal(rows.length, 0, `${table} rows are gone`);
    }
    assert.equal((await sql`select 1 from messages where conversation_id = ${conv.id}`).length, 0);
    assert.equal((await sql`select 1 from auth_sessions where user_id = ${cy.id}`).length, 0);
    assert.equal(await users.deleteUser(sql, cy.id), false);
    assert.equal(await users.deleteUser(sql, "not-a-uuid"), false);
  });
}
