/** Which link targets may become an `href`. */

const ALLOWED_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);
// Browsers drop these before parsing a URL's scheme (C0 controls, space) or may ignore them.
// deno-lint-ignore no-control-regex
const IGNORED = /[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g;
// deno-lint-ignore no-control-regex
const ENCODE = /[\u0000-\u0020\u007f-\u009f]/g;

/**
 * Returns the href to render for a link destination, or null when it must be shown as text.
 * Allowed: http:, https:, mailto: and scheme-less (relative, fragment, query) URLs. Everything
 * else is refused, including schemes hidden behind control characters or whitespace; the caller
 * decodes character references first, so `jav&#x61;script:` arrives here as `javascript:`.
 */
export function safeHref(destination: string): string | null {
  const href = destination.trim().replace(ENCODE, (c) => encodeURIComponent(c));
  const stripped = destination.replace(IGNORED, "");
  const scheme = /^([^/?#]*?):/.exec(stripped);
  if (scheme && !ALLOWED_PROTOCOLS.has(scheme[1].toLowerCase() + ":")) return null;
  // Second opinion from the WHATWG URL parser: exactly what the browser will resolve.
  let protocol: string;
  try {
    protocol = new URL(href, "https://relative.invalid/").protocol;
  } catch {
    return null;
  }
  return ALLOWED_PROTOCOLS.has(protocol) ? href : null;
}
