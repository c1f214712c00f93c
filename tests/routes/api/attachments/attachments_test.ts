/**
 * Attachments through the real app on PGlite and PostgreSQL: upload (multipart and raw), magic-byte
 * checks, size limits, per-owner access, sending with a message to Gemini (inline data) and to an
 * OpenAI-compatible vision model (image parts), and the clear refusal for models that cannot read them.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../../../_helpers/postgres_cluster.ts";
import { readSse, tokenText } from "../../../_helpers/sse.ts";
import { requireSuite } from "../../../_helpers/suites.ts";
import { type GeminiStub, startGeminiStub } from "../../../stubs/gemini_server.ts";
import { type OpenAIStub, startOpenAIStub } from "../../../stubs/openai_server.ts";

/** A tiny valid 1×1 PNG plus `pad` bytes of trailing data, deterministic. */
export function png(pad = 0): Uint8Array<ArrayBuffer> {
  const head = Uint8Array.from(
    atob(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    ),
    (c) => c.charCodeAt(0),
  );
  const out = new Uint8Array(head.length + pad);
  out.set(head);
  for (let i = 0; i < pad; i++) out[head.length + i] = i % 251;
  return out;
}
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const GIF = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");
const WEBP = new Uint8Array([
  ...new TextEncoder().encode("RIFF"),
  26,
  0,
  0,
  0,
  ...new TextEncoder().encode("WEBPVP8 "),
]);
const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");

type Uploaded = { id: string; name: string; mimeType: string; size: number };
type ErrorBody = { error: { code: string; message: string } };

async function upload(client: ApiClient, bytes: Uint8Array<ArrayBuffer>, type: string, name = "file.bin") {
  const form = new FormData();
  form.set("file", new File([bytes], name, { type }));
  const res = await client.fetch("/api/attachments", { method: "POST", body: form });
  return { status: res.status, body: await res.json() };
}

const pgOk = requireSuite("attachments API on PostgreSQL", postgresMissing());

for (const engine of ["pglite", "postgres"] as const) {
  Deno.test({
    name:
      `attachments on ${engine}: types by magic bytes, limits, owners, and models that can or cannot read them`,
    ignore: engine === "postgres" && !pgOk,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const cluster = engine === "postgres" ? await startPostgresCluster() : null;
      const gemini: GeminiStub = await startGeminiStub({ apiKey: "stub-key-123456" });
      const openai: OpenAIStub = startOpenAIStub({ models: ["text-only", "llava:7b"] });
      let server: TestServer | null = null;
      try {
        server = await startTestServer({
          GEMINI_API_KEY: "stub-key-123456",
          GEMINI_BASE_URL: gemini.url,
          OPENAI_BASE_URL: openai.url,
          MAX_ATTACHMENT_BYTES: "4096",
          ...(cluster ? { DATABASE_URL: cluster.url } : {}),
        });
        await steps(t, server, gemini, openai);
      } finally {
        await server?.close();
        await openai.close();
        await gemini.close();
        await cluster?.destroy();
      }
    },
  });
}

async function steps(t: Deno.TestContext, server: TestServer, gemini: GeminiStub, openai: OpenAIStub) {
  const alice = new ApiClient(server.url);
  const bob = new ApiClient(server.url);
  await alice.fetch("/").then((r) => r.body?.cancel());
  await bob.fetch("/").then((r) => r.body?.cancel());
  const image = png(100);
  let aliceImage = "";

  await t.step("valid uploads: the type comes from the bytes and the file reads back identical", async () => {
    const up = await upload(alice, image, "image/png", "C:\\photos\\cat.png");
    assert.equal(up.status, 201);
    assert.deepEqual({ ...up.body, id: "" }, {
      id: "",
      name: "cat.png",
      mimeType: "image/png",
      size: image.length,
    });
    aliceImage = up.body.id;
    const res = await alice.fetch(`/api/attachments/${aliceImage}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(res.headers.get("content-disposition")!, /^inline; filename\*=UTF-8''cat\.png$/);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), image);

    for (
      const [bytes, type] of [[JPEG, "image/jpeg"], [GIF, "image/gif"], [WEBP, "image/webp"], [
        PDF,
        "application/pdf",
      ]] as const
    ) {
      // Raw bytes with their type, and multipart declared as a generic binary: both sniffed the same.
      const raw = await alice.fetch(`/api/attachments?name=x`, {
        method: "POST",
        body: bytes,
        headers: { "content-type": type },
      });
      assert.equal(raw.status, 201, type);
      assert.equal((await raw.json()).mimeType, type);
      const generic = await upload(alice, bytes, "application/octet-stream", "");
      assert.equal(generic.body.mimeType, type);
      assert.equal(generic.body.name, type === "application/pdf" ? "document.pdf" : `image.${type.slice(6)}`);
    }
  });

  await t.step(
    "wrong magic bytes, a lying type, an empty file and an oversize file are refused",
    async () => {
      const text = new TextEncoder().encode("<svg onload=alert(1)></svg>");
      const fake = await upload(alice, text, "image/png", "evil.png");
      assert.equal(fake.status, 415);
      assert.equal((fake.body as ErrorBody).error.code, "unsupported_type");
      const liar = await upload(alice, image, "image/jpeg", "cat.jpg");
      assert.equal(liar.status, 415);
      assert.equal((liar.body as ErrorBody).error.code, "type_mismatch");
      assert.match(
        (liar.body as ErrorBody).error.message,
        /sent as image\/jpeg but its contents are image\/png/,
      );
      const empty = await upload(alice, new Uint8Array(0), "image/png");
      assert.equal(empty.status, 400);
      const big = await upload(alice, png(4096), "image/png", "big.png");
      assert.equal(big.status, 413);
      assert.equal((big.body as ErrorBody).error.code, "attachment_too_large");
      const huge = await alice.fetch("/api/attachments", {
        method: "POST",
        body: png(200_000),
        headers: { "content-type": "image/png" },
      });
      assert.equal(huge.status, 413);
      await huge.body?.cancel();
    },
  );

  await t.step("another owner's attachment is a 404 everywhere, and sending it stores nothing", async () => {
    assert.equal((await bob.fetch(`/api/attachments/${aliceImage}`)).status, 404);
    assert.equal((await bob.fetch(`/api/attachments/${aliceImage}`, { method: "DELETE" })).status, 404);
    const conv = await bob.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
    const sent = await bob.json<ErrorBody>(`/api/conversations/${conv.body.id}/messages`, {
      method: "POST",
      json: { content: "look", attachmentIds: [aliceImage] },
    });
    assert.equal(sent.status, 404);
    assert.equal(sent.body.error.code, "attachment_not_found");
    const after = await bob.json<{ messages: unknown[] }>(`/api/conversations/${conv.body.id}`);
    assert.equal(after.body.messages.length, 0);
    assert.equal((await alice.fetch(`/api/attachments/not-a-uuid`)).status, 404);
  });

  await t.step(
    "sent to Gemini as inline data; listed on the message; no longer removable or reusable",
    async () => {
      const conv = await alice.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
      const res = await alice.fetch(`/api/conversations/${conv.body.id}/messages`, {
        method: "POST",
        json: { content: "what is in this picture?", attachmentIds: [aliceImage] },
      });
      const events = await readSse(res);
      assert.equal(tokenText(events), "Echo: what is in this picture?");
      const req = gemini.requests.filter((r) => r.action === "streamGenerateContent").at(-1)!;
      const parts = (req.body as { contents: { parts: Record<string, unknown>[] }[] }).contents[0].parts;
      assert.deepEqual(parts, [
        { text: "what is in this picture?" },
        { inlineData: { mimeType: "image/png", data: btoa(String.fromCharCode(...image)) } },
      ]);
      const got = await alice.json<{ messages: { role: string; attachments?: Uploaded[] }[] }>(
        `/api/conversations/${conv.body.id}`,
      );
      assert.deepEqual(got.body.messages[0].attachments, [
        { id: aliceImage, name: "cat.png", mimeType: "image/png", size: image.length },
      ]);
      assert.equal(got.body.messages[1].attachments, undefined);
      assert.equal((await alice.fetch(`/api/attachments/${aliceImage}`, { method: "DELETE" })).status, 404);
      const again = await alice.json<ErrorBody>(`/api/conversations/${conv.body.id}/messages`, {
        method: "POST",
        json: { content: "again", attachmentIds: [aliceImage] },
      });
      assert.equal(again.status, 404);
      // Still readable by its owner after sending.
      assert.equal((await alice.fetch(`/api/attachments/${aliceImage}`)).status, 200);
    },
  );

  await t.step("a regenerated reply and an edited version of the message send the image again", async () => {
    const b64 = btoa(String.fromCharCode(...image));
    const up = await upload(alice, image, "image/png", "dog.png");
    const conv = await alice.json<{ id: string }>("/api/conversations", { method: "POST", json: {} });
    await readSse(
      await alice.fetch(`/api/conversations/${conv.body.id}/messages`, {
        method: "POST",
        json: { content: "first look", attachmentIds: [up.body.id] },
      }),
    );
    const parts = () => {
      const r = gemini.requests.filter((r) => r.action === "streamGenerateContent").at(-1)!;
      return (r.body as { contents: { parts: Record<string, unknown>[] }[] }).contents.at(-1)!.parts;
    };
    const streamed = () => gemini.requests.filter((r) => r.action === "streamGenerateContent").length;
    const count = streamed();
    await readSse(
      await alice.fetch(`/api/conversations/${conv.body.id}/regenerate`, { method: "POST", json: {} }),
    );
    assert.equal(streamed(), count + 1);
    assert.deepEqual(parts(), [{ text: "first look" }, { inlineData: { mimeType: "image/png", data: b64 } }]);

    const before = await alice.json<{ messages: { id: string }[] }>(`/api/conversations/${conv.body.id}`);
    const edited = await readSse(
      await alice.fetch(`/api/conversations/${conv.body.id}/edit`, {
        method: "POST",
        json: { messageId: before.body.messages[0].id, content: "second look" },
      }),
    );
    assert.equal(tokenText(edited), "Echo: second look");
    assert.deepEqual(parts(), [{ text: "second look" }, {
      inlineData: { mimeType: "image/png", data: b64 },
    }]);
    const after = await alice.json<{ messages: { content: string; attachments?: Uploaded[] }[] }>(
      `/api/conversations/${conv.body.id}`,
    );
    assert.equal(after.body.messages[0].content, "second look");
    assert.deepEqual(after.body.messages[0].attachments?.map((a) => [a.name, a.mimeType, a.size]), [
      ["dog.png", "image/png", image.length],
    ]);
  });

  await t.step("a text-only model refuses images clearly; a vision model gets image parts", async () => {
    const conv = await alice.json<{ id: string }>("/api/conversations", {
      method: "POST",
      json: { model: "openai:text-only" },
    });
    const up = await upload(alice, image, "image/png", "chart.png");
    const refused = await alice.json<ErrorBody>(`/api/conversations/${conv.body.id}/messages`, {
      method: "POST",
      json: { content: "describe", attachmentIds: [up.body.id] },
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, "attachments_unsupported");
    assert.match(
      refused.body.error.message,
      /^text-only · 127\.0\.0\.1:\d+ cannot read images\. Pick a model/,
    );
    assert.equal(
      (await alice.json<{ messages: unknown[] }>(`/api/conversations/${conv.body.id}`)).body.messages.length,
      0,
    );

    const pdf = await upload(alice, PDF, "application/pdf", "paper.pdf");
    await alice.json(`/api/conversations/${conv.body.id}`, {
      method: "PATCH",
      json: { model: "openai:llava:7b" },
    });
    const pdfRefused = await alice.json<ErrorBody>(`/api/conversations/${conv.body.id}/messages`, {
      method: "POST",
      json: { content: "read", attachmentIds: [pdf.body.id] },
    });
    assert.equal(pdfRefused.status, 400);
    assert.match(pdfRefused.body.error.message, /cannot read PDF files/);

    const ok = await alice.fetch(`/api/conversations/${conv.body.id}/messages`, {
      method: "POST",
      json: { content: "", attachmentIds: [up.body.id] },
    });
    assert.equal(tokenText(await readSse(ok)), "Echo: [image]");
    const body = openai.requests.at(-1)!.body as { model: string; messages: { content: unknown }[] };
    assert.equal(body.model, "llava:7b");
    assert.deepEqual(body.messages.at(-1)!.content, [
      { type: "text", text: "" },
      {
        type: "image_url",
        image_url: { url: `data:image/png;base64,${btoa(String.fromCharCode(...image))}` },
      },
    ]);

    // Back to the text-only model: the earlier image becomes a note instead of failing the reply.
    await alice.json(`/api/conversations/${conv.body.id}`, {
      method: "PATCH",
      json: { model: "openai:text-only" },
    });
    const next = await alice.fetch(`/api/conversations/${conv.body.id}/messages`, {
      method: "POST",
      json: { content: "and now?" },
    });
    assert.equal(tokenText(await readSse(next)), "Echo: and now?");
    const history =
      (openai.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] }).messages;
    assert.deepEqual(history[0], {
      role: "user",
      content: '[attached file "chart.png" (image/png) not shown: this model cannot read it]',
    });
  });
}
