/**
 * Full-text search behaviour every engine must show (run from the store suite, so on PGlite, on
 * PostgreSQL and through a pooler-style connection).
 */
import assert from "node:assert/strict";
import type { Database, SearchHit, Segment } from "../../lib/db/mod.ts";

let counter = 0;
function owner(label: string): string {
  return `owner-search-${label}-${++counter}-${crypto.randomUUID()}`;
}

/** The marked words of a result, lowercased. */
function marked(segments: Segment[]): string[] {
  return segments.filter((s) => s.mark).map((s) => s.text.toLowerCase());
}

function plain(segments: Segment[]): string {
  return segments.map((s) => s.text).join("");
}

/** Runs the search steps against `db` inside test `t`. */
export async function runSearchSuite(t: Deno.TestContext, db: Database): Promise<void> {
  await t.step("search: message words by prefix, all words required, marked in the snippet", async () => {
    const me = owner("prefix");
    const c = await db.createConversation(me, { title: "Cluster work" });
    const deploy = await db.appendMessage(me, c.id, {
      role: "user",
      content: "How do I deploy a Kubernetes cluster with Helm?",
    });
    const other = await db.appendMessage(me, c.id, {
      role: "assistant",
      content: "Kubernetes schedules pods; a deployment keeps replicas running.",
    });
    const hits = await db.searchConversations(me, "kube dep");
    assert.deepEqual(hits.map((h) => h.messageId).sort(), [deploy!.id, other!.id].sort());
    const first = hits.find((h) => h.messageId === deploy!.id)!;
    assert.deepEqual(marked(first.snippet), ["deploy", "kubernetes"]);
    assert.equal(plain(first.snippet), "How do I deploy a Kubernetes cluster with Helm?");
    assert.equal(first.role, "user");
    assert.equal(first.conversationId, c.id);
    assert.deepEqual(first.title, [{ text: "Cluster work", mark: false }]);
    assert.equal(first.archived, false);
    assert.equal(first.folderId, null);

    assert.deepEqual((await db.searchConversations(me, "KUBERNETES helm")).map((h) => h.messageId), [
      deploy!.id,
    ]);
    assert.deepEqual(await db.searchConversations(me, "kubernetes zebra"), []);
  });

  await t.step("search: titles match too, and a message hit carries its marked title", async () => {
    const me = owner("title");
    const c = await db.createConversation(me, { title: "Sourdough starter" });
    const m = await db.appendMessage(me, c.id, { role: "user", content: "Feed the sourdough twice a day" });
    const hits = await db.searchConversations(me, "sourd");
    assert.equal(hits.length, 2);
    const titleHit = hits.find((h) => h.messageId === null)!;
    assert.equal(titleHit.conversationId, c.id);
    assert.deepEqual(marked(titleHit.title), ["sourdough"]);
    assert.deepEqual(titleHit.snippet, titleHit.title);
    assert.equal(titleHit.role, null);
    const messageHit = hits.find((h) => h.messageId === m!.id)!;
    assert.deepEqual(marked(messageHit.title), ["sourdough"]);
    assert.deepEqual(marked(messageHit.snippet), ["sourdough"]);
  });

  await t.step("search: code and markup are searchable and come back as exact text", async () => {
    const me = owner("code");
    const c = await db.createConversation(me, { title: "Snippets" });
    const content = 'Render <div class="x">hello</div> & <script>alert(1)</script>; a<b && c>d';
    const m = await db.appendMessage(me, c.id, { role: "assistant", content });
    for (const q of ["alert", "div", "script", "hello"]) {
      const hits = await db.searchConversations(me, q);
      assert.deepEqual(hits.map((h) => h.messageId), [m!.id], q);
      assert.equal(plain(hits[0].snippet), content, `${q}: the snippet is the text, tags included`);
    }
    const [hit] = await db.searchConversations(me, "alert");
    assert.deepEqual(marked(hit.snippet), ["alert"]);
    assert.ok(hit.snippet.some((s) => !s.mark && s.text.includes("<script>")));
  });

  await t.step(
    "search: query syntax is inert, punctuation-only finds nothing, marks in text are dropped",
    async () => {
      const me = owner("syntax");
      const c = await db.createConversation(me, { title: "Odd text" });
      const m = await db.appendMessage(me, c.id, {
        role: "user",
        content: "it's a don't \u0001marked\u0002 e-mail to example.com about C++ and 3.14",
      });
      for (const q of ["don't", "e-mail", "example.com", "3.14", "c++", "'x':* | y", "ma & !zz", "exa"]) {
        const hits = await db.searchConversations(me, q);
        const expect = q === "'x':* | y" || q === "ma & !zz" ? [] : [m!.id];
        assert.deepEqual(hits.map((h) => h.messageId), expect, q);
      }
      for (const q of ["", "   ", "&|!", "<b>", "---"]) {
        assert.deepEqual(
          await db.searchConversations(me, q),
          [],
          q,
        );
      }
      const [hit] = await db.searchConversations(me, "marked");
      assert.ok(!plain(hit.snippet).includes("\u0001"), "the text's own control marks are not echoed");
      assert.deepEqual(marked(hit.snippet), ["marked"]);
    },
  );

  await t.step("search: only the owner's rows; streaming replies are indexed once they finish", async () => {
    const alice = owner("alice");
    const bob = owner("bob");
    const a = await db.createConversation(alice, { title: "Alice private" });
    await db.appendMessage(alice, a.id, { role: "user", content: "pineapple secrets" });
    assert.deepEqual(await db.searchConversations(bob, "pineapple"), []);
    assert.deepEqual(await db.searchConversations(bob, "alice"), []);
    assert.equal((await db.searchConversations(alice, "pineapple")).length, 1);

    const reply = await db.appendMessage(alice, a.id, {
      role: "assistant",
      content: "",
      status: "streaming",
    });
    await db.updateMessage(reply!.id, { appendContent: "mango " });
    assert.deepEqual(await db.searchConversations(alice, "mango"), [], "not indexed while streaming");
    await db.updateMessage(reply!.id, { appendContent: "chutney", status: "complete" });
    assert.deepEqual((await db.searchConversations(alice, "mango chut")).map((h) => h.messageId), [
      reply!.id,
    ]);
  });

  await t.step(
    "search: best match first, then newest; limit; long messages give short snippets",
    async () => {
      const me = owner("rank");
      const c = await db.createConversation(me, { title: "Notes" });
      const once = await db.appendMessage(me, c.id, {
        role: "user",
        content: "walrus" + " filler".repeat(40),
      });
      const often = await db.appendMessage(me, c.id, { role: "user", content: "walrus walrus walrus tusks" });
      const long = "lorem ipsum ".repeat(2000) + "the walrus dives" + " dolor sit".repeat(2000);
      const far = await db.appendMessage(me, c.id, { role: "assistant", content: long });
      const hits: SearchHit[] = await db.searchConversations(me, "walrus");
      assert.deepEqual(new Set(hits.map((h) => h.messageId)), new Set([once!.id, often!.id, far!.id]));
      assert.equal(hits[0].messageId, often!.id, "most occurrences ranks first");
      const farHit = hits.find((h) => h.messageId === far!.id)!;
      assert.ok(plain(farHit.snippet).length < 400, "the snippet is an excerpt around the match");
      assert.deepEqual(marked(farHit.snippet), ["walrus"]);
      assert.equal((await db.searchConversations(me, "walrus", { limit: 1 })).length, 1);
      await assert.rejects(db.searchConversations(me, "walrus", { limit: 0 }), { code: "invalid_input" });
      await assert.rejects(db.searchConversations(me, "x".repeat(201)), { code: "invalid_input" });
      await assert.rejects(db.searchConversations(me, "a\u0000b"), { code: "invalid_input" });
    },
  );
}
