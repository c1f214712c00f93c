/**
 * The weight of `GET /c/:id` for the 200-message conversation `bench/http.bench.ts` measures (same
 * data: 200 messages, 29 more conversations in the sidebar): every message is on the page, rendered
 * and in the island's props, but the page carries no per-message or per-row buttons before
 * hydration and no repeated attributes, within byte bounds measured when that was done (was 308,682
 * bytes raw, of which 197,062 the message list; now 212,986 and 117,062). A browser gets the page in
 * Brotli from its second request (16,249 bytes; 29,802 gzipped). The HTML is the same on both engines,
 * so this runs on PGlite only.
 */
import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app_server.ts";
import { fillerText, seedLongConversation } from "../_helpers/long_conversation.ts";
import { SessionSigner } from "../../lib/security/session.ts";

const SECRET = "page-weight-session-secret-0123456789";
const MESSAGES = 200;

/** Upper bounds (bytes) for this data, a little above what was measured after the change. */
const BOUND = {
  /** The whole page, uncompressed (measured 212,986; 308,682 before). */
  page: 216_000,
  /** The whole page gzipped, as the page cache keeps it (measured 29,766; 32,604 before). */
  gzip: 30_500,
  /** The whole page in Brotli, as the page cache sends it to browsers (measured 16,249; quality 10). */
  br: 17_000,
  /** The `<ol class="messages">` list (measured 117,062; 197,062 before). */
  list: 118_000,
  /** The list's markup per message beyond the message's text (measured 296; 696 before). */
  perMessage: 300,
};

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;

Deno.test({
  name: "GET /c/:id of a 200-message conversation: every message, no pre-hydration buttons, within bounds",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestServer({ SESSION_SECRET: SECRET });
    try {
      const { db } = server.services;
      const owner = SessionSigner.newId();
      const long = await seedLongConversation(db, owner, MESSAGES);
      for (let i = 1; i < 30; i++) {
        const c = await db.createConversation(owner, { title: `Conversation ${i}: ${fillerText(i, 4)}` });
        await db.appendMessage(owner, c.id, { role: "user", content: fillerText(1000 + i, 10) });
      }
      const cookie = `mc_session=${await (await SessionSigner.create([SECRET])).sign(owner)}`;
      const url = `${server.url}/c/${long.id}`;

      const res = await fetch(url, { headers: { cookie, "accept-encoding": "identity" } });
      assert.equal(res.status, 200);
      const html = await res.text();

      // Every message is rendered, in order, with its text, its role and status, and an (empty)
      // actions row; no buttons inside the list before hydration; no repeated id or status.
      const list = /<ol class="messages"[^>]*>[\s\S]*?<\/ol>/.exec(html)?.[0] ?? "";
      const items = [
        ...list.matchAll(
          /<li class="message message-(user|assistant)" id="m-([0-9a-f-]{36})" data-status="complete">([\s\S]*?)<\/li>/g,
        ),
      ];
      assert.equal(items.length, MESSAGES);
      items.forEach((m, i) => {
        assert.equal(m[1], i % 2 === 0 ? "user" : "assistant");
        assert.ok(m[3].includes(`<p>${long.contents[i]}</p>`), `message ${i} has its text`);
        assert.ok(m[3].endsWith('<div class="message-actions"></div>'), `message ${i} has its actions row`);
      });
      assert.doesNotMatch(list, /<button/);
      assert.doesNotMatch(list, /data-message-id|status-complete/);

      // The sidebar likewise: every conversation, an empty buttons row on each, no repeated id.
      const sidebar = /<ul class="conversation-list">[\s\S]*?<\/ul>/.exec(html)?.[0] ?? "";
      assert.equal(
        [...sidebar.matchAll(/<li class="conversation-item[^"]*"><a class="conversation-link"/g)].length,
        30,
      );
      assert.equal([...sidebar.matchAll(/<div class="row-actions"><\/div>/g)].length, 30);
      assert.doesNotMatch(sidebar, /<button|data-id/);

      // The island gets each message once, with only the fields it uses.
      const json = /<script type="application\/json" id="__mc_islands">([\s\S]*?)<\/script>/.exec(html)?.[1];
      const props = JSON.parse(json ?? "[]")[0].props;
      const messages = props.conversation.messages as Record<string, unknown>[];
      assert.deepEqual(messages.map((m) => m.content), long.contents);
      assert.deepEqual(
        messages.map((m) => Object.keys(m).sort().join()),
        messages.map(() => "content,id,role,status"),
      );
      assert.deepEqual(messages.map((m) => m.id), items.map((m) => m[2]));
      assert.equal(props.conversations.length, 30);
      assert.deepEqual(Object.keys(props.conversations[0]).sort(), ["id", "title", "updatedAt"]);

      // Bytes, uncompressed and gzipped as the page cache gzips it (`CompressionStream`).
      const text = long.contents.reduce((n, c) => n + bytes(c), 0);
      const perMessage = (bytes(list) - text) / MESSAGES;
      const gzip = new Blob([html]).stream().pipeThrough(new CompressionStream("gzip"));
      const gzipped = (await new Response(gzip).arrayBuffer()).byteLength;
      // Brotli, as the page cache sends it from a page's second request to clients that take it
      // (every current browser's Accept-Encoding names br; this one is Chromium's).
      const browser = { cookie, "accept-encoding": "gzip, deflate, br, zstd" };
      const second = await fetch(url, { headers: browser });
      assert.equal(second.headers.get("content-encoding"), "gzip", "gzip while Brotli is made");
      await second.body?.cancel();
      await server.services.pages.idle();
      const third = await fetch(url, { headers: browser });
      assert.equal(third.headers.get("content-encoding"), "br");
      const brotli = Number(third.headers.get("content-length"));
      assert.equal(await third.text(), html, "the Brotli body decodes to the page");
      const measured = { page: bytes(html), gzip: gzipped, br: brotli, list: bytes(list), perMessage };
      console.log("page weight:", measured);
      assert.ok(measured.page <= BOUND.page, `page ${measured.page} > ${BOUND.page}`);
      assert.ok(measured.gzip <= BOUND.gzip, `gzip ${measured.gzip} > ${BOUND.gzip}`);
      assert.ok(measured.br <= BOUND.br, `brotli ${measured.br} > ${BOUND.br}`);
      assert.ok(measured.list <= BOUND.list, `list ${measured.list} > ${BOUND.list}`);
      assert.ok(perMessage <= BOUND.perMessage, `${perMessage} bytes per message > ${BOUND.perMessage}`);
    } finally {
      await server.close();
    }
  },
});
