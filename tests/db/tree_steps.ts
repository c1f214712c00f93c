/**
 * The message tree on every engine (run from `store_suite.ts`): appends under the leaf, siblings,
 * switching branches (stored), parents confined to their conversation, and the per-conversation
 * lock that keeps two simultaneous replies from both starting.
 */
import assert from "node:assert/strict";
import type { Database, Message, Store } from "../../lib/db/mod.ts";

/** What a reply start does under the lock: "busy" when a reply is in progress, else the new reply's id. */
async function startReply(tx: Store, owner: string, conversationId: string, i: number): Promise<string> {
  const lock = await tx.lockReplyPath(owner, conversationId);
  assert.ok(lock);
  if (lock.replyInProgress) return "busy";
  const made = await tx.appendExchange(conversationId, {
    id: crypto.randomUUID(),
    content: `q${i}`,
    parentId: lock.path.at(-1)?.id ?? null,
  }, { id: crypto.randomUUID() });
  assert.ok(made);
  return made.reply.id;
}

let counter = 0;
function owner(label: string): string {
  return `tree-${label}-${++counter}-${crypto.randomUUID()}`;
}

/** Runs the tree steps against `db` inside test `t`. */
export async function runTreeSteps(t: Deno.TestContext, db: Database): Promise<void> {
  await t.step("tree: appends go under the leaf; siblings, switching and the stored leaf", async () => {
    const me = owner("tree");
    const conv = await db.createConversation(me);
    const add = async (role: "user" | "assistant", content: string, parentId?: string | null) => {
      const m = await db.appendMessage(me, conv.id, { role, content, parentId });
      assert.ok(m, content);
      return m;
    };
    const u1 = await add("user", "u1");
    const a1 = await add("assistant", "a1");
    assert.equal(u1.parentId, null);
    assert.equal(a1.parentId, u1.id);
    // Regenerate twice: siblings of a1 under u1; each becomes the leaf.
    const a1b = await add("assistant", "a1b", u1.id);
    const a1c = await add("assistant", "a1c", u1.id);
    const contents = async () => (await db.getConversation(me, conv.id))!.messages.map((m) => m.content);
    assert.deepEqual(await contents(), ["u1", "a1c"]);
    const path = (await db.getConversation(me, conv.id))!.messages;
    assert.deepEqual(path.map((m) => m.siblingIds), [[u1.id], [a1.id, a1b.id, a1c.id]]);
    assert.deepEqual((await db.listSiblings(me, conv.id, a1b.id))?.map((m) => m.content), [
      "a1",
      "a1b",
      "a1c",
    ]);

    // Continue on a1b's branch, then edit u1 (a sibling root) and answer it.
    assert.deepEqual((await db.switchBranch(me, conv.id, a1b.id))?.map((m) => m.content), ["u1", "a1b"]);
    const u2 = await add("user", "u2");
    const a2 = await add("assistant", "a2");
    assert.equal(u2.parentId, a1b.id);
    assert.deepEqual(await contents(), ["u1", "a1b", "u2", "a2"]);
    const u1x = await add("user", "u1 edited", null);
    await add("assistant", "a1x");
    assert.deepEqual(await contents(), ["u1 edited", "a1x"]);
    assert.deepEqual((await db.getConversation(me, conv.id))!.messages[0].siblingIds, [u1.id, u1x.id]);

    // Back to u1: the newest message under it is a2, so its whole branch comes back.
    assert.deepEqual((await db.switchBranch(me, conv.id, u1.id))?.map((m) => m.content), [
      "u1",
      "a1b",
      "u2",
      "a2",
    ]);
    assert.deepEqual(await contents(), ["u1", "a1b", "u2", "a2"], "the switch is stored");
    assert.deepEqual((await db.currentPath(me, conv.id))?.slice(-2).map((m) => m.id), [u2.id, a2.id]);
    // A leaf switched to directly, and a message with no replies is its own leaf.
    assert.deepEqual((await db.switchBranch(me, conv.id, a1c.id))?.map((m) => m.content), ["u1", "a1c"]);
    assert.deepEqual((await db.switchBranch(me, conv.id, a2.id))?.map((m) => m.id), [
      u1.id,
      a1b.id,
      u2.id,
      a2.id,
    ]);
    // The path through any message, wherever the leaf is; nothing for another owner.
    assert.deepEqual((await db.messagePath(me, conv.id, u2.id))?.map((m) => m.content), ["u1", "a1b", "u2"]);
    assert.deepEqual((await db.getConversation(me, conv.id))!.messages.at(-1)?.id, a2.id, "leaf unchanged");
    assert.equal(await db.messagePath(owner("other"), conv.id, u2.id), null);
    // Nothing was ever deleted, and seq is still the creation order.
    const all = await db.sql`select seq from messages where conversation_id = ${conv.id} order by seq`;
    assert.deepEqual(all.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  await t.step("tree: a parent must be a message of the same conversation", async () => {
    const me = owner("parent");
    const mine = await db.createConversation(me);
    const other = await db.createConversation(me);
    const foreign = await db.appendMessage(me, other.id, { role: "user", content: "elsewhere" });
    assert.equal(
      await db.appendMessage(me, mine.id, { role: "user", content: "x", parentId: foreign!.id }),
      null,
    );
    assert.equal(await db.switchBranch(me, mine.id, foreign!.id), null);
    assert.equal(await db.listSiblings(me, mine.id, foreign!.id), null);
    assert.deepEqual((await db.getConversation(me, mine.id))?.messages, []);
    // The schema refuses it too, whoever writes the row.
    await assert.rejects(
      db.sql`insert into messages (conversation_id, parent_id, seq, role, content)
        values (${mine.id}, ${foreign!.id}, 99, 'user', 'sneaky')`,
      { code: "23503" },
    );
  });

  await t.step("tree: a stale stored leaf falls back to the newest message", async () => {
    const me = owner("stale");
    const conv = await db.createConversation(me);
    await db.appendMessage(me, conv.id, { role: "user", content: "q" });
    const a = await db.appendMessage(me, conv.id, { role: "assistant", content: "a" });
    await db.sql`update conversations set current_leaf_id = gen_random_uuid() where id = ${conv.id}`;
    assert.deepEqual((await db.getConversation(me, conv.id))?.messages.map((m) => m.content), ["q", "a"]);
    const next = await db.appendMessage(me, conv.id, { role: "user", content: "next" });
    assert.equal(next?.parentId, a!.id);
  });

  await t.step("tree: simultaneous reply starts on one conversation create one reply", async () => {
    const me = owner("lock");
    const conv = await db.createConversation(me);
    const question = await db.appendMessage(me, conv.id, { role: "user", content: "q" });
    const start = () =>
      db.transaction(async (tx): Promise<Message | "busy"> => {
        const lock = await tx.lockForReply(me, conv.id);
        assert.ok(lock);
        if (lock.replyInProgress) return "busy";
        const reply = await tx.appendMessage(me, conv.id, {
          role: "assistant",
          content: "",
          status: "streaming",
          parentId: question!.id,
        });
        return reply!;
      });
    const results = await Promise.all([start(), start(), start(), start()]);
    assert.equal(results.filter((r) => r === "busy").length, 3, JSON.stringify(results));
    const replies = await db.listSiblings(me, conv.id, (results.find((r) => r !== "busy") as Message).id);
    assert.equal(replies?.length, 1);
    // Once it is no longer streaming, the next start goes ahead.
    await db.updateMessage(replies![0].id, { status: "complete", content: "done" });
    assert.notEqual(await start(), "busy");
    assert.equal((await db.listSiblings(me, conv.id, replies![0].id))?.length, 2);
  });

  await t.step(
    "reply start in few statements: lockReplyPath and appendExchange match the long way",
    async () => {
      const me = owner("fast");
      const conv = await db.createConversation(me);
      // Empty conversation: no path, nothing in progress; the exchange starts a root.
      const empty = await db.transaction((tx) => tx.lockReplyPath(me, conv.id));
      assert.deepEqual(empty && { path: empty.path, busy: empty.replyInProgress }, { path: [], busy: null });
      const first = await db.transaction((tx) =>
        tx.appendExchange(conv.id, { id: crypto.randomUUID(), content: "first question", parentId: null }, {
          id: crypto.randomUUID(),
        })
      );
      assert.ok(first);
      assert.deepEqual(
        [first.user.role, first.user.parentId, first.user.status, first.user.content],
        ["user", null, "complete", "first question"],
      );
      assert.deepEqual(
        [first.reply.role, first.reply.parentId, first.reply.status, first.reply.seq],
        ["assistant", first.user.id, "streaming", first.user.seq + 1],
      );
      const named = await db.getConversation(me, conv.id);
      assert.equal(named!.title, "first question");
      // The reply streaming (fresh heartbeat) is reported as in progress, from the same round trip.
      const busy = await db.transaction((tx) => tx.lockReplyPath(me, conv.id));
      assert.equal(busy!.replyInProgress, first.reply.id);
      await db.updateMessage(first.reply.id, { status: "complete", content: "first answer" });
      // A branch: the current path (what the long way returns) is what the reply start reads.
      const second = await db.appendMessage(me, conv.id, { role: "user", content: "second" });
      await db.appendMessage(me, conv.id, { role: "assistant", content: "second answer" });
      await db.appendMessage(me, conv.id, {
        role: "assistant",
        content: "other version",
        parentId: second!.id,
      });
      const [fast, slow] = await db.transaction(async (tx) =>
        [await tx.lockReplyPath(me, conv.id), await tx.currentPath(me, conv.id)] as const
      );
      assert.equal(fast!.replyInProgress, null);
      assert.deepEqual(
        fast!.path.map(({ hasFiles: _h, ...m }) => m),
        slow!.map(({ siblingIds: _s, ...m }) => m),
      );
      assert.deepEqual(fast!.path.map((m) => m.content), [
        "first question",
        "first answer",
        "second",
        "other version",
      ]);
      assert.deepEqual(fast!.path.map((m) => m.hasFiles), [false, false, false, false]);
      // The exchange under a parent of another conversation is refused and stores nothing.
      const elsewhere = await db.createConversation(me);
      const stray = await db.appendMessage(me, elsewhere.id, { role: "user", content: "elsewhere" });
      const refused = await db.transaction((tx) =>
        tx.appendExchange(conv.id, { id: crypto.randomUUID(), content: "x", parentId: stray!.id }, {
          id: crypto.randomUUID(),
        })
      );
      assert.equal(refused, null);
      assert.equal((await db.getConversation(me, conv.id))!.messages.length, 4);
      // Another owner's conversation: no lock, no path.
      assert.equal(await db.transaction((tx) => tx.lockReplyPath(owner("other"), conv.id)), null);
    },
  );

  await t.step(
    "reply start: simultaneous starts on one conversation start one reply (lockReplyPath)",
    async () => {
      const me = owner("fastlock");
      const conv = await db.createConversation(me);
      const start = (i: number) => db.transaction((tx) => startReply(tx, me, conv.id, i));
      const results = await Promise.all([0, 1, 2, 3].map(start));
      assert.equal(results.filter((r) => r === "busy").length, 3, JSON.stringify(results));
      const stored = await db.getConversation(me, conv.id);
      assert.deepEqual(stored!.messages.map((m) => m.role), ["user", "assistant"]);
    },
  );

  await t.step(
    "reply start, begin pipelined (pipelinedTransaction): simultaneous starts start one reply",
    async () => {
      const me = owner("pipelock");
      const conv = await db.createConversation(me);
      const start = async (i: number) => {
        const { value, committed } = await db.pipelinedTransaction((tx) => startReply(tx, me, conv.id, i));
        await committed;
        return value;
      };
      const results = await Promise.all([0, 1, 2, 3].map(start));
      assert.equal(results.filter((r) => r === "busy").length, 3, JSON.stringify(results));
      const stored = await db.getConversation(me, conv.id);
      assert.deepEqual(stored!.messages.map((m) => m.role), ["user", "assistant"]);
    },
  );
}
