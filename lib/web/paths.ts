/** Path helpers (no `@std/path` here: JSR is unreachable). */

/** Converts a `file:` URL to a POSIX path. */
export function fromFileUrl(url: URL | string): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError(`not a file URL: ${u.href}`);
  return decodeURIComponent(u.pathname);
}

/** Converts an absolute POSIX path to a `file:` URL string. */
export function toFileUrl(path: string): string {
  return new URL("file://" + path.split("/").map(encodeURIComponent).join("/")).href;
}
