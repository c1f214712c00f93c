/** Magic-byte sniffing and upload checks (pure functions). */
import assert from "node:assert/strict";
import { attachmentKind, sniffAttachmentType } from "../../../lib/attachments/sniff.ts";
import { checkUpload, cleanFileName, DEFAULT_ATTACHMENT_LIMITS } from "../../../lib/attachments/upload.ts";
import { HttpError } from "../../../lib/web/errors.ts";

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

Deno.test("sniff: each accepted type by its signature; near-misses and other formats are null", () => {
  assert.equal(sniffAttachmentType(bytes([0x89], "PNG\r\n\x1a\n", [0])), "image/png");
  assert.equal(sniffAttachmentType(bytes([0xff, 0xd8, 0xff, 0xdb])), "image/jpeg");
  assert.equal(sniffAttachmentType(bytes("RIFF", [1, 2, 3, 4], "WEBPVP8L")), "image/webp");
  assert.equal(sniffAttachmentType(bytes("GIF87a", [1])), "image/gif");
  assert.equal(sniffAttachmentType(bytes("GIF89a", [1])), "image/gif");
  assert.equal(sniffAttachmentType(bytes("%PDF-1.7\n")), "application/pdf");
  assert.equal(
    sniffAttachmentType(bytes("RIFF", [1, 2, 3, 4], "WAVEfmt ")),
    null,
    "WAV is RIFF but not WebP",
  );
  assert.equal(sniffAttachmentType(bytes([0x89], "PNG")), null, "truncated PNG signature");
  assert.equal(sniffAttachmentType(bytes("<svg xmlns='http://www.w3.org/2000/svg'/>")), null);
  assert.equal(sniffAttachmentType(bytes("PK", [3, 4])), null);
  assert.equal(sniffAttachmentType(new Uint8Array(0)), null);
  assert.equal(attachmentKind("application/pdf"), "pdf");
  assert.equal(attachmentKind("image/gif"), "image");
});

Deno.test("checkUpload: size, type and declared type; file names are cleaned", () => {
  const png = bytes([0x89], "PNG\r\n\x1a\n", [0, 0]);
  const limits = { ...DEFAULT_ATTACHMENT_LIMITS, maxBytes: 10 };
  assert.deepEqual(checkUpload(png, "image/png; charset=binary", "a.png", limits).mimeType, "image/png");
  assert.equal(checkUpload(png, "", null, limits).name, "image.png");
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof HttpError);
      return `${e.status} ${e.code}`;
    }
    return "ok";
  };
  assert.equal(
    code(() => checkUpload(bytes([0x89], "PNG\r\n\x1a\n", [0, 0, 0]), "image/png", null, limits)),
    "413 attachment_too_large",
  );
  assert.equal(code(() => checkUpload(png, "image/gif", null, limits)), "415 type_mismatch");
  assert.equal(code(() => checkUpload(bytes("hello"), "image/png", null, limits)), "415 unsupported_type");
  assert.equal(code(() => checkUpload(new Uint8Array(0), "image/png", null, limits)), "400 empty_file");
  assert.equal(cleanFileName("../../etc/passwd\u0000.png", "image/png"), "passwd.png");
  assert.equal(cleanFileName("x".repeat(300), "application/pdf").length, 255);
  assert.equal(cleanFileName("   ", "application/pdf"), "document.pdf");
});
