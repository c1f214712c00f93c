/**
 * Folders, pin/archive and keyset paging of the conversation list on every engine (run from the
 * store suite, so on PGlite, on PostgreSQL and through a pooler-style connection).
 */
import assert from "node:assert/strict";
import { claimConversations } from "../../lib/accounts/claim.ts";
import type { Database } from "../../lib/db/mod.ts";

let counter = 0;
function owner(label: string): string {
  return `owner-folders-${label}-${++counter}-${crypto.randomUUID()}`;
}

/** Runs the folder and paging steps against `db` inside test `t`. */
export async function runFoldersSuite(t: Deno.TestContext, db: Database): Promise<void> {
  await t.step("folders: create, rename, defaults for new conversations, delete moves them out", async () => {
    const me = owner("crud");
    const work = await db.createFolder(me, {
      name: "  Work\nstuff ",
      systemPrompt: "Be formal.",
      model: "m-1",
    });
    assert.equal(work.name, "Work stuff");
    assert.deepEqual([work.systemPrompt, work.model, work.conversationCount], ["Be formal.", "m-1", 0]);
    const home = await db.createFolder(me, { name: "Home" });
    assert.deepEqual((await db.listFolders(me)).map((f) => f.name), ["Work stuff", "Home"]);

    const inherits = await db.createConversation(me, { folderId: work.id });
    assert.deepEqual([inherits.folderId, inherits.systemPrompt, inherits.model], [
      work.id,
      "Be formal.",
      "m-1",
    ]);
    const overrides = await db.createConversation(me, {
      folderId: work.id,
      systemPrompt: "Casual.",
      model: null,
    });
    assert.deepEqual([overrides.systemPrompt, overrides.model], ["Casual.", null]);
    const outside = await db.createConversation(me, {});
    assert.deepEqual([outside.folderId, outside.systemPrompt, outside.model], [null, "", null]);

    const renamed = await db.updateFolder(me, work.id, { name: "Office", model: null });
    assert.deepEqual([renamed?.name, renamed?.systemPrompt, renamed?.model, renamed?.conversationCount], [
      "Office",
      "Be formal.",
      null,
      2,
    ]);
    assert.deepEqual(
      (await db.listConversations(me, { folderId: work.id })).map((c) => c.id),
      [overrides.id, inherits.id],
    );

    assert.equal(await db.deleteFolder(me, work.id), true);
    assert.equal(await db.deleteFolder(me, work.id), false);
    const after = await db.listConversations(me);
    assert.equal(after.length, 3, "deleting a folder deletes no conversation");
    assert.ok(after.every((c) => c.folderId === null));
    assert.deepEqual((await db.listFolders(me)).map((f) => f.id), [home.id]);
    await assert.rejects(db.createFolder(me, { name: "  " }), { code: "invalid_input" });
    await assert.rejects(db.createFolder(me, { name: "x".repeat(201) }), { code: "invalid_input" });
  });

  await t.step("folders: move in and out, another owner's folder is not found", async () => {
    const me = owner("move");
    const other = owner("other");
    const mine = await db.createFolder(me, { name: "Mine" });
    const theirs = await db.createFolder(other, { name: "Theirs" });
    const c = await db.createConversation(me, { title: "Movable" });
    const moved = await db.updateConversation(me, c.id, { folderId: mine.id });
    assert.equal(moved?.folderId, mine.id);
    assert.equal(moved?.updatedAt, c.updatedAt, "moving is not activity");
    await assert.rejects(db.updateConversation(me, c.id, { folderId: theirs.id }), { code: "not_found" });
    await assert.rejects(db.updateConversation(me, c.id, { folderId: "nope" }), { code: "not_found" });
    await assert.rejects(db.createConversation(me, { folderId: theirs.id }), { code: "not_found" });
    assert.equal((await db.getConversation(me, c.id))?.folderId, mine.id, "a refused move changes nothing");
    assert.equal(await db.getFolder(me, theirs.id), null);
    assert.equal(await db.updateFolder(me, theirs.id, { name: "hijack" }), null);
    assert.equal(await db.deleteFolder(me, theirs.id), false);
    assert.deepEqual(await db.listConversations(me, { folderId: theirs.id }), []);
    const out = await db.updateConversation(me, c.id, { folderId: null });
    assert.equal(out?.folderId, null);
    // The database itself refuses a cross-owner folder (composite foreign key).
    await assert.rejects(db.sql`update conversations set folder_id = ${theirs.id} where id = ${c.id}`);
  });

  await t.step("pin and archive filter the list and do not reorder it", async () => {
    const me = owner("pin");
    const a = await db.createConversation(me, { title: "A" });
    const b = await db.createConversation(me, { title: "B" });
    await db.createConversation(me, { title: "C" });
    await db.updateConversation(me, a.id, { pinned: true });
    await db.updateConversation(me, b.id, { archived: true });
    const ids = async (o: Parameters<Database["listConversations"]>[1]) =>
      (await db.listConversations(me, o)).map((x) => x.title);
    assert.deepEqual(await ids({}), ["C", "B", "A"], "pinning and archiving keep the activity order");
    assert.deepEqual(await ids({ pinned: true }), ["A"]);
    assert.deepEqual(await ids({ archived: false }), ["C", "A"]);
    assert.deepEqual(await ids({ archived: true }), ["B"]);
    assert.deepEqual(await ids({ archived: false, pinned: false }), ["C"]);
    const unarchived = await db.updateConversation(me, b.id, { archived: false });
    assert.deepEqual([unarchived?.archived, unarchived?.pinned], [false, false]);
  });

  await t.step("keyset paging walks every conversation once, newest first", async () => {
    const me = owner("paging");
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await db.createConversation(me, { title: `c${i}` })).id);
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    do {
      const page = await db.listConversationPage(me, { limit: 3, before });
      seen.push(...page.conversations.map((c) => c.id));
      before = page.nextCursor ?? undefined;
      pages++;
    } while (before !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(seen, created.reverse());
    const exact = await db.listConversationPage(me, { limit: 7 });
    assert.equal(exact.nextCursor, null, "no cursor when nothing follows");
    await assert.rejects(db.listConversationPage(me, { before: "abc" }), { code: "invalid_input" });
  });

  await t.step(
    "claiming an anonymous session's data carries its folders and their conversations",
    async () => {
      const anonymous = owner("anon");
      const user = `user:${crypto.randomUUID()}`;
      await db.ensureOwner(user);
      const folder = await db.createFolder(anonymous, { name: "Trips" });
      const inside = await db.createConversation(anonymous, { title: "In folder", folderId: folder.id });
      const outside = await db.createConversation(anonymous, { title: "Loose" });
      assert.equal(await claimConversations(db.sql, anonymous, user), 2);
      assert.deepEqual((await db.listFolders(user)).map((f) => f.name), ["Trips"]);
      assert.equal((await db.getConversation(user, inside.id))?.folderId, folder.id);
      assert.equal((await db.getConversation(user, outside.id))?.folderId, null);
      assert.deepEqual(await db.listConversations(anonymous), []);
      assert.deepEqual(await db.listFolders(anonymous), []);
    },
  );
}
