/**
 * Body read deadline (`BODY_TIMEOUT_SECONDS`): a client that trickles its body one byte at a time
 * gets 408 `body_timeout` while still sending, and nothing is stored; a body that arrives in
 * pieces within the deadline is served normally. Raw TCP, so the test controls every byte.
 */
import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends `head`, then `body` one byte every `everyMs` until the server answers (or the body is
 * all sent); returns the response head and body read, and how many body bytes were sent.
 */
async function trickle(port: number, head: string, body: string, everyMs: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(head));
  let response = "";
  const complete = () => /\r\n\r\n[\s\S]*\}$/.test(response);
  const reading = (async () => {
    const buf = new Uint8Array(4096);
    while (!complete()) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      response += decoder.decode(buf.subarray(0, n));
    }
  })();
  let sent = 0;
  try {
    while (response === "" && sent < body.length) {
      await conn.write(encoder.encode(body[sent]));
      sent++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } catch { /* the server closed the connection */ }
  await reading;
  conn.close();
  return { response, sent };
}

Deno.test({
  name: "a body trickled past BODY_TIMEOUT_SECONDS gets 408 while still arriving; nothing is stored",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestServer({ BODY_TIMEOUT_SECONDS: "1" });
    try {
      const count = async () =>
        (await server.services.db.sql`select count(*)::int as n from conversations`)[0].n as number;
      const before = await count();
      const body = JSON.stringify({ title: "t".repeat(150) });
      const head = (text: string) =>
        `POST /api/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n`;

      const slow = await trickle(server.port, head(body), body, 50);
      assert.match(slow.response, /^HTTP\/1\.1 408 /);
      assert.match(slow.response, /"code":"body_timeout"/);
      assert.ok(slow.sent < body.length, `answered while the body was still arriving (${slow.sent} bytes)`);
      assert.equal(await count(), before, "nothing was stored");

      // Pieces within the deadline are fine.
      const small = JSON.stringify({ title: "Quick" });
      const quick = await trickle(server.port, head(small), small, 5);
      assert.match(quick.response, /^HTTP\/1\.1 201 /);
      assert.equal(await count(), before + 1);
      const ok = await fetch(`${server.url}/api/health`);
      assert.equal(ok.status, 200, "the server keeps serving");
      await ok.body?.cancel();
    } finally {
      await server.close();
    }
  },
});
