/**
 * Reading one attachment upload: `multipart/form-data` with a `file` part (what the browser sends),
 * or the raw bytes with their Content-Type and `?name=`. The size is capped, the type is decided by
 * the magic bytes, and a declared type that disagrees with them is refused.
 */
import { HttpError } from "../http_error.ts";
import { ATTACHMENT_TYPES, type AttachmentMimeType, sniffAttachmentType } from "./sniff.ts";

/** Limits on attachments. */
export interface AttachmentLimits {
  /** Largest file, bytes. */
  maxBytes: number;
  /** Most files on one message. */
  maxPerMessage: number;
  /** Most uploads an owner may hold that were not sent yet. */
  maxUnsent: number;
}

/** Defaults: 5 MiB per file, 4 per message, 20 unsent per owner. */
export const DEFAULT_ATTACHMENT_LIMITS: Readonly<AttachmentLimits> = Object.freeze({
  maxBytes: 5 * 1024 * 1024,
  maxPerMessage: 4,
  maxUnsent: 20,
});

/** Extra bytes a multipart envelope may add around the file. */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** A checked upload. */
export interface CheckedUpload {
  name: string;
  mimeType: AttachmentMimeType;
  data: Uint8Array;
}

const TYPE_LIST = "PNG, JPEG, WebP or GIF images, or PDF files";

/** A file name safe to store and show: no path, no control characters, at most 255 characters. */
export function cleanFileName(name: string | null | undefined, mimeType: AttachmentMimeType): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  // deno-lint-ignore no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 255);
  if (clean !== "") return clean;
  return mimeType === "application/pdf" ? "document.pdf" : `image.${mimeType.slice("image/".length)}`;
}

function mediaType(value: string | null): string {
  return (value ?? "").split(";")[0].trim().toLowerCase();
}

/** Checks size and magic bytes of `data`, declared as `declaredType`. */
export function checkUpload(
  data: Uint8Array,
  declaredType: string,
  name: string | null,
  limits: AttachmentLimits,
): CheckedUpload {
  if (data.byteLength === 0) throw new HttpError(400, "empty_file", "The file is empty.");
  if (data.byteLength > limits.maxBytes) {
    throw new HttpError(
      413,
      "attachment_too_large",
      `The file is ${data.byteLength} bytes; an attachment may be at most ${limits.maxBytes} bytes.`,
    );
  }
  const sniffed = sniffAttachmentType(data);
  if (!sniffed) {
    throw new HttpError(
      415,
      "unsupported_type",
      `Only ${TYPE_LIST} can be attached; this file is none of them.`,
    );
  }
  const declared = mediaType(declaredType);
  const normalized = declared === "image/jpg" ? "image/jpeg" : declared;
  if (normalized !== "" && normalized !== "application/octet-stream" && normalized !== sniffed) {
    throw new HttpError(
      415,
      "type_mismatch",
      `The file was sent as ${declared.slice(0, 80)} but its contents are ${sniffed}.`,
    );
  }
  return { name: cleanFileName(name, sniffed), mimeType: sniffed, data };
}

/** Reads and checks the upload in `req`. Throws 4xx {@link HttpError}s. */
export async function readUpload(req: Request, url: URL, limits: AttachmentLimits): Promise<CheckedUpload> {
  const contentType = req.headers.get("content-type") ?? "";
  const type = mediaType(contentType);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await req.arrayBuffer());
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, "invalid_body", "The upload could not be read.");
  }
  if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
    } catch {
      throw new HttpError(400, "invalid_body", "The multipart body could not be parsed.");
    }
    const part = form.get("file");
    if (!(part instanceof File)) throw new HttpError(400, "invalid_body", 'The form needs a "file" part.');
    return checkUpload(new Uint8Array(await part.arrayBuffer()), part.type, part.name, limits);
  }
  if (
    type !== "" && type !== "application/octet-stream" &&
    !(ATTACHMENT_TYPES as readonly string[]).includes(type)
  ) {
    throw new HttpError(415, "unsupported_type", `Only ${TYPE_LIST} can be attached.`);
  }
  return checkUpload(bytes, type, url.searchParams.get("name"), limits);
}
