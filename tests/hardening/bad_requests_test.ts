/**
 * Hostile and broken requests get clear 4xx answers, never a 5xx, and change nothing: malformed
 * and partial JSON, wrong content types, bodies cut mid-way (raw sockets), oversize bodies declared
 * or streamed without a length, unknown routes, odd paths and methods.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../_helpers/app_server.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";
import { snapshot } from "./_db_snapshot.ts";

const KEY = "k-bad-requests-1";
const encoder = new TextEncoder();

/** Sends raw bytes on a fresh connection, half-closes, and returns the response head (or "" if none). */
async function rawExchange(server: TestServer, bytes: Uint8Array, closeWrite = true): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(bytes);
    if (closeWrite) await conn.closeWrite();
    const buf = new Uint8Array(4096);
    let text = "";
    const deadline = setTimeout(() => conn.close(), 5000);
    try {
      while (!text.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    } catch { /* closed by the deadline or the server */ }
    clearTimeout(deadline);
    return text;
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * Writes `head` and then 64 KiB chunks forever, until the server closes the connection or 5 s pass;
 * returns the response text read meanwhile, the bytes sent, and how it ended.
 */
async function endlessUpload(
  server: TestServer,
  head: string,
): Promise<{ head: string; sentBytes: number; closedBy: "server" | "timeout" }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(encoder.encode(head));
  const chunk = encoder.encode(`10000\r\n${"x".repeat(0x10000)}\r\n`);
  let response = "";
  let closed = false;
  const reading = (async () => {
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      response += new TextDecoder().decode(buf.subarray(0, n));
    }
    closed = true;
  })();
  let sentBytes = 0;
  const started = performance.now();
  try {
    while (!closed && performance.now() - started < 5000) {
      await conn.write(chunk);
      sentBytes += chunk.length;
    }
  } catch { /* broken pipe: the server closed the connection */ }
  const closedBy = performance.now() - started < 5000 ? "server" : "timeout";
  try {
    conn.close();
  } catch { /* already closed */ }
  await reading;
  return { head: response, sentBytes, closedBy };
}

function statusOf(head: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
}

Deno.test({
  name:
    "malformed, partial, oversize and misrouted requests: 4xx (501 for unknown methods), database unchanged",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const stub = await startGeminiStub({ apiKey: KEY });
    const server = await startTestServer({
      GEMINI_API_KEY: KEY,
      GEMINI_BASE_URL: stub.url,
      MAX_BODY_BYTES: "65536",
    });
    const db = server.services.db;
    try {
      const client = new ApiClient(server.url);
      const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: {},
      });
      const cookie = (client as unknown as { cookie: string }).cookie;
      const messages = `/api/conversations/${conv.id}/messages`;
      const before = await snapshot(db);
      const send = (path: string, init: RequestInit & { json?: unknown }) => client.fetch(path, init);
      const expect = async (res: Response, status: number, code?: string) => {
        const text = await res.text();
        assert.equal(res.status, status, `${res.url}: ${text}`);
        if (code) assert.equal(JSON.parse(text).error.code, code);
      };
      const json = { "content-type": "application/json" };

      await t.step("malformed JSON and wrong content types", async () => {
        const cases: Array<[path: string, init: RequestInit, status: number, code: string]> = [
          [messages, { method: "POST", headers: json, body: '{"content": "hel' }, 400, "invalid_json"],
          [messages, { method: "POST", headers: json, body: "[1,2" }, 400, "invalid_json"],
          [messages, { method: "POST", headers: json, body: "\u0000\u0001" }, 400, "invalid_json"],
          [messages, { method: "POST", headers: json, body: "null" }, 400, "invalid_body"],
          [messages, { method: "POST", headers: json, body: '"hello"' }, 400, "invalid_body"],
          [
            messages,
            { method: "POST", headers: { "content-type": "text/plain" }, body: '{"content":"x"}' },
            415,
            "unsupported_media_type",
          ],
          [
            messages,
            { method: "POST", body: new URLSearchParams({ content: "x" }) },
            415,
            "unsupported_media_type",
          ],
          ["/api/conversations", { method: "POST", headers: json, body: "{" }, 400, "invalid_json"],
          [
            `/api/conversations/${conv.id}`,
            { method: "PATCH", headers: json, body: '{"title":' },
            400,
            "invalid_json",
          ],
        ];
        for (const [path, init, status, code] of cases) await expect(await send(path, init), status, code);
        // Invalid UTF-8 (a lone surrogate encoded as bytes) is replaced, not a crash.
        const bad = new Uint8Array([
          ...encoder.encode('{"content":"a'),
          0xed,
          0xa0,
          0x80,
          ...encoder.encode('"}'),
        ]);
        const res = await send(`/api/conversations/${crypto.randomUUID()}/messages`, {
          method: "POST",
          headers: json,
          body: bad,
        });
        await expect(res, 404, "not_found");
      });

      await t.step(
        "bodies cut mid-way (declared length and chunked) get 400 or a closed connection",
        async () => {
          for (const body of ['{"content": "this body is cut', '{"cont']) {
            const head = await rawExchange(
              server,
              encoder.encode(
                `POST ${messages} HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: ${cookie}\r\n` +
                  `content-type: application/json\r\ncontent-length: 400\r\n\r\n${body}`,
              ),
            );
            const status = statusOf(head);
            assert.ok(status === 0 || (status >= 400 && status < 500), head);
          }
          const chunked = await rawExchange(
            server,
            encoder.encode(
              `POST ${messages} HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: ${cookie}\r\n` +
                `content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n20\r\n{"content": "cut`,
            ),
          );
          assert.ok(
            statusOf(chunked) === 0 || (statusOf(chunked) >= 400 && statusOf(chunked) < 500),
            chunked,
          );
          // A client that goes silent mid-body and disconnects.
          const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
          await conn.write(encoder.encode(
            `POST ${messages} HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: ${cookie}\r\ncontent-type: application/json\r\n` +
              `content-length: 100\r\n\r\n{"content":`,
          ));
          await new Promise((r) => setTimeout(r, 50));
          conn.close();
        },
      );

      await t.step(
        "oversize bodies: declared (refused before reading) and streamed without a length",
        async () => {
          const head = await rawExchange(
            server,
            encoder.encode(
              `POST ${messages} HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: ${cookie}\r\n` +
                `content-type: application/json\r\ncontent-length: 50000000\r\n\r\n`,
            ),
            false,
          );
          assert.equal(statusOf(head), 413, head);
          // Streamed without Content-Length (chunked), 2 MiB against a 64 KiB limit.
          let sent = 0;
          const stream = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent === 0) controller.enqueue(encoder.encode('{"content":"'));
              if (sent >= 2 * 1024 * 1024) return controller.close();
              const chunk = encoder.encode("x".repeat(64 * 1024));
              sent += chunk.length;
              controller.enqueue(chunk);
            },
          });
          const res = await fetch(server.url + messages, {
            method: "POST",
            headers: { ...json, cookie },
            body: stream,
            duplex: "half",
            signal: AbortSignal.timeout(10_000),
          } as RequestInit);
          await expect(res, 413, "body_too_large");
          // An endless chunked body: the 413 arrives and the server ends the connection.
          const endless = await endlessUpload(
            server,
            `POST ${messages} HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: ${cookie}\r\n` +
              `content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
          );
          assert.equal(statusOf(endless.head), 413, endless.head);
          assert.match(endless.head, /body_too_large/);
          assert.equal(endless.closedBy, "server", `the server kept reading: ${endless.sentBytes} bytes`);
          await expect(
            await send(messages, { method: "POST", json: { content: "x".repeat(40_000) } }),
            413,
          );
          await expect(
            await send("/api/conversations", { method: "POST", json: { title: "t".repeat(70_000) } }),
            413,
            "body_too_large",
          );
        },
      );

      await t.step("unknown routes, odd paths and methods", async () => {
        await expect(await send("/api/nope", { method: "GET" }), 404, "not_found");
        await expect(await send("/api/conversations/not-a-uuid", { method: "GET" }), 404, "not_found");
        await expect(
          await send("/api/conversations/not-a-uuid/messages", { method: "POST", json: { content: "x" } }),
          404,
        );
        await expect(await send(`/api/conversations/${"9".repeat(5000)}`, { method: "DELETE" }), 404);
        await expect(await send("/api/conversations/%00%ff", { method: "GET" }), 404);
        const page = await send("/definitely/not/here", { method: "GET" });
        assert.equal(page.status, 404);
        await page.body?.cancel();
        for (
          const path of [
            "/static/../deno.json",
            "/%2e%2e/deno.json",
            "/..%2f..%2fetc%2fpasswd",
            "/.env",
            "/.data/session_secret",
          ]
        ) {
          const res = await send(path, { method: "GET" });
          const text = await res.text();
          assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
          assert.doesNotMatch(text, /"imports"|root:x:0/);
        }
        const put = await send("/api/conversations", { method: "PUT", json: {} });
        assert.equal(put.status, 405);
        assert.equal(put.headers.get("allow"), "GET, HEAD, POST");
        await put.body?.cancel();
        await expect(await send("/api/health", { method: "DELETE" }), 405, "method_not_allowed");
        await expect(await send(messages, { method: "GET" }), 405, "method_not_allowed");
        for (const method of ["PROPFIND", "TRACE", "TRACK", "FOO"]) {
          const head = await rawExchange(
            server,
            encoder.encode(
              `${method} /api/conversations HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n`,
            ),
            false,
          );
          assert.equal(statusOf(head), 501, head);
          assert.match(head, /method_not_implemented/);
        }
        const connect = await rawExchange(
          server,
          encoder.encode(`CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n`),
          false,
        );
        assert.equal(statusOf(connect), 501, connect);
        const garbage = await rawExchange(server, encoder.encode("\x16\x03\x01 not http at all\r\n\r\n"));
        assert.ok(statusOf(garbage) === 0 || (statusOf(garbage) >= 400 && statusOf(garbage) < 500), garbage);
        await expect(
          await send(messages, {
            method: "POST",
            headers: { "sec-fetch-site": "cross-site" },
            json: { content: "x" },
          }),
          403,
          "cross_site_request",
        );
      });

      await t.step("nothing was stored, and the server still answers normally", async () => {
        assert.equal(await snapshot(db), before);
        const res = await send(messages, { method: "POST", json: { content: "still fine" } });
        assert.equal(res.status, 200);
        assert.match(await res.text(), /event: done/);
      });
    } finally {
      await server.close();
      await stub.close();
    }
  },
});
