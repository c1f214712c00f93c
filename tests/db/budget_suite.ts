/**
 * Token budgets and anonymous-owner expiry (migration 0009) on one engine; `pglite_test.ts` and
 * `postgres_test.ts` run these steps against their database.
 */
import assert from "node:assert/strict";
import type { Database } from "../../lib/db/mod.ts";
import { expireAnonymousOwners, markOwnerPermanent, touchOwner } from "../../lib/db/owner_expiry.ts";
import { chargeTokens, dailyUsage, pruneTokenUsage, setDailyTokenLimit } from "../../lib/db/token_usage.ts";
import { TokenBudget } from "../../lib/security/token_budget.ts";
import { HttpError } from "../../lib/web/errors.ts";

let counter = 0;
function owner(label: string): string {
  return `budget-${label}-${++counter}-${crypto.randomUUID()}`;
}

/** Runs every budget and expiry step against `db` inside test `t`. */
export async function runBudgetSuite(t: Deno.TestContext, db: Database): Promise<void> {
  await t.step(
    "tokens add up per owner and UTC day; the owner's own limit overrides the default",
    async () => {
      const me = owner("charge");
      const other = owner("other");
      await db.ensureOwner(me);
      await db.ensureOwner(other);
      assert.deepEqual(await dailyUsage(db.sql, me, "2026-03-01"), { tokens: 0, ownerLimit: null });
      assert.equal(await chargeTokens(db.sql, me, "2026-03-01", 1200), 1200);
      assert.equal(await chargeTokens(db.sql, me, "2026-03-01", 34), 1234);
      assert.equal(await chargeTokens(db.sql, me, "2026-03-02", 7), 7);
      assert.equal(await chargeTokens(db.sql, other, "2026-03-01", 5), 5);
      assert.deepEqual(await dailyUsage(db.sql, me, "2026-03-01"), { tokens: 1234, ownerLimit: null });
      assert.deepEqual(await dailyUsage(db.sql, me, "2026-03-02"), { tokens: 7, ownerLimit: null });
      assert.equal(await setDailyTokenLimit(db.sql, me, 5000), true);
      assert.deepEqual(await dailyUsage(db.sql, me, "2026-03-01"), { tokens: 1234, ownerLimit: 5000 });
      assert.equal(await setDailyTokenLimit(db.sql, me, null), true);
      assert.equal((await dailyUsage(db.sql, me, "2026-03-01")).ownerLimit, null);
      assert.equal(await setDailyTokenLimit(db.sql, owner("missing"), 10), false);
      assert.equal(
        await chargeTokens(db.sql, owner("missing"), "2026-03-01", 10),
        null,
        "no owner, no charge",
      );
      await assert.rejects(chargeTokens(db.sql, me, "2026-03-01", -1), { code: "invalid_input" });
      await assert.rejects(chargeTokens(db.sql, me, "yesterday", 1), { code: "invalid_input" });
    },
  );

  await t.step("concurrent charges on two connections lose nothing", async () => {
    const me = owner("race");
    await db.ensureOwner(me);
    await Promise.all(Array.from({ length: 40 }, (_, i) => chargeTokens(db.sql, me, "2026-03-05", i + 1)));
    assert.equal((await dailyUsage(db.sql, me, "2026-03-05")).tokens, (40 * 41) / 2);
  });

  await t.step("TokenBudget refuses at the limit with Retry-After up to the UTC midnight", async () => {
    const me = owner("policy");
    await db.ensureOwner(me);
    const now = Date.parse("2026-03-10T21:30:00.000Z");
    const budget = new TokenBudget(db.sql, { dailyTokens: 1000, now: () => now });
    assert.deepEqual(await budget.check(me), {
      usedTokens: 0,
      limitTokens: 1000,
      resetsAt: "2026-03-11T00:00:00.000Z",
    });
    assert.equal(await budget.charge(me, 999), 999);
    assert.equal((await budget.check(me)).usedTokens, 999);
    assert.equal(await budget.charge(me, 12), 1011);
    const refusal = await budget.check(me).then(() => null, (e) => e);
    assert.ok(refusal instanceof HttpError);
    assert.equal(refusal.status, 429);
    assert.equal(refusal.code, "token_budget_exhausted");
    assert.equal(refusal.headers["retry-after"], String(2.5 * 3600));
    assert.equal(
      refusal.message,
      "You have used 1,011 of 1,000 tokens today. The budget resets at 00:00 UTC (in 2 h 30 min).",
    );
    // The next UTC day starts from zero; a per-owner limit of 0 refuses everything; unlimited never refuses.
    const tomorrow = new TokenBudget(db.sql, { dailyTokens: 1000, now: () => now + 3 * 3600_000 });
    assert.equal((await tomorrow.check(me)).usedTokens, 0);
    await setDailyTokenLimit(db.sql, me, 0);
    await assert.rejects(tomorrow.check(me), { code: "token_budget_exhausted" });
    await setDailyTokenLimit(db.sql, me, null);
    const unlimited = new TokenBudget(db.sql, { dailyTokens: 0, now: () => now });
    assert.deepEqual(await unlimited.check(me), {
      usedTokens: 1011,
      limitTokens: null,
      resetsAt: "2026-03-11T00:00:00.000Z",
    });
  });

  await t.step(
    "anonymous owners inactive past the retention expire with their data; others stay",
    async () => {
      const idle = owner("idle");
      const recentChat = owner("recent-chat");
      const touched = owner("touched");
      const user = owner("user");
      for (const id of [idle, recentChat, touched, user]) await db.ensureOwner(id);
      const idleConv = await db.createConversation(idle, { title: "old" });
      await db.appendMessage(idle, idleConv.id, { role: "user", content: "hello" });
      await chargeTokens(db.sql, idle, "2026-03-01", 10);
      await db.createConversation(recentChat, { title: "today" });
      await db.createConversation(user, { title: "belongs to an account" });
      assert.equal(await markOwnerPermanent(db.sql, user), true);
      // Everyone was last active 31 days ago, and the old conversations were last changed then too.
      await db.sql`update owners set last_active_at = now() - interval '31 days'
      where id in ${db.sql([idle, recentChat, touched, user])}`;
      await db.sql`update conversations set updated_at = now() - interval '31 days'
      where owner_id in ${db.sql([idle, user])}`;
      await touchOwner(db.sql, touched);

      const expired = await expireAnonymousOwners(db.sql, 30);
      assert.ok(expired.includes(idle));
      for (const kept of [recentChat, touched, user]) assert.ok(!expired.includes(kept), kept);
      const left = await db.sql`select id from owners where id in ${
        db.sql([idle, recentChat, touched, user])
      }`;
      assert.deepEqual(left.map((r) => r.id).sort(), [recentChat, touched, user].sort());
      const orphans = await db.sql`
      select (select count(*)::int from conversations where owner_id = ${idle}) as conversations,
        (select count(*)::int from messages where conversation_id = ${idleConv.id}) as messages,
        (select count(*)::int from token_usage where owner_id = ${idle}) as usage`;
      assert.deepEqual({ ...orphans[0] }, { conversations: 0, messages: 0, usage: 0 });
      assert.deepEqual(await expireAnonymousOwners(db.sql, 30), [], "a second sweep finds nothing more");
      assert.ok(!(await expireAnonymousOwners(db.sql, 40)).includes(user));
      await assert.rejects(expireAnonymousOwners(db.sql, 0), RangeError);
    },
  );

  await t.step("usage rows of old days are pruned", async () => {
    const me = owner("prune");
    await db.ensureOwner(me);
    await chargeTokens(db.sql, me, "2020-01-01", 3);
    await chargeTokens(db.sql, me, "2020-01-09", 4);
    assert.ok(await pruneTokenUsage(db.sql, "2020-01-05") >= 1);
    const rows = await db.sql`select day::text as day from token_usage where owner_id = ${me}`;
    assert.deepEqual(rows.map((r) => r.day), ["2020-01-09"]);
  });
}
