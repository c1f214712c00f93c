/**
 * Opaque secrets handed to browsers (session tokens, invite codes): 32 random bytes, base64url.
 * Only their SHA-256 (hex) is stored, so reading the database does not let anyone sign in.
 */

/** A new random token (43 base64url characters). */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** True for text shaped like a token from {@link newToken}. */
export function isToken(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** SHA-256 of `token` as 64 hex characters: what the database keeps. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
