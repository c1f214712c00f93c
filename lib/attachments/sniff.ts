/**
 * What an uploaded file really is, from its first bytes (magic numbers), never from the name or the
 * declared Content-Type alone: PNG, JPEG, WebP, GIF and PDF are accepted, everything else is not.
 */
import type { AttachmentKind } from "../chat/provider.ts";

/** The accepted types. */
export const ATTACHMENT_TYPES = [
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/gif",
  "application/pdf",
] as const;

/** One accepted MIME type. */
export type AttachmentMimeType = (typeof ATTACHMENT_TYPES)[number];

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((b, i) => bytes[offset + i] === b);
}

/** The type `bytes` start with, or null when it is none of {@link ATTACHMENT_TYPES}. */
export function sniffAttachmentType(bytes: Uint8Array): AttachmentMimeType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("%PDF-"))) return "application/pdf";
  return null;
}

/** "image" for the image types, "pdf" for PDFs. */
export function attachmentKind(mimeType: string): AttachmentKind {
  return mimeType === "application/pdf" ? "pdf" : "image";
}
