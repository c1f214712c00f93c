/**
 * Static files: `static/` served with a strong ETag (SHA-256 of the bytes) and `no-cache`
 * revalidation, and built island bundles (content-hashed names) with a year-long immutable cache.
 */
import type { BuiltFile } from "./bundle.ts";

const CONTENT_TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  webmanifest: "application/manifest+json",
  txt: "text/plain; charset=utf-8",
  html: "text/html; charset=utf-8",
  woff2: "font/woff2",
  mp3: "audio/mpeg",
  wav: "audio/wav",
};

/** Content type for a file name, by extension. */
export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream";
}

interface Cached {
  mtime: number;
  size: number;
  etag: string;
  body: Uint8Array;
}

async function etagOf(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return `"${[...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}"`;
}

function notModified(req: Request, etag: string): boolean {
  const header = req.headers.get("if-none-match");
  return header !== null && header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** Serves files below `dir`; returns null when the path is not a file there. */
export function staticFiles(dir: string): (req: Request, pathname: string) => Promise<Response | null> {
  const cache = new Map<string, Cached>();
  return async (req, pathname) => {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    if (rel.includes("\0") || rel.split("/").some((p) => p === ".." || p.startsWith("."))) return null;
    const path = `${dir}${rel}`;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      return null;
    }
    if (!info.isFile) return null;
    const mtime = info.mtime?.getTime() ?? 0;
    let entry = cache.get(path);
    if (!entry || entry.mtime !== mtime || entry.size !== info.size) {
      const body = await Deno.readFile(path);
      entry = { mtime, size: info.size, body, etag: await etagOf(body) };
      cache.set(path, entry);
    }
    const headers = { etag: entry.etag, "cache-control": "public, max-age=0, must-revalidate" };
    if (notModified(req, entry.etag)) return new Response(null, { status: 304, headers });
    return new Response(req.method === "HEAD" ? null : entry.body as Uint8Array<ArrayBuffer>, {
      headers: { ...headers, "content-type": contentTypeOf(path) },
    });
  };
}

/** Serves one content-hashed build output with an immutable cache. */
export async function builtFileResponse(req: Request, file: BuiltFile, dev: boolean): Promise<Response> {
  const etag = await etagOf(file.contents);
  const headers = {
    etag,
    "content-type": file.contentType,
    "cache-control": dev ? "no-cache" : "public, max-age=31536000, immutable",
  };
  if (notModified(req, etag)) return new Response(null, { status: 304, headers });
  return new Response(req.method === "HEAD" ? null : file.contents as Uint8Array<ArrayBuffer>, { headers });
}
