/** Checking an `Authorization: Bearer <token>` header against a configured secret, in constant time. */
import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * True when `authorization` is `Bearer <expected>`. Always false when `expected` is unset. Both
 * sides are hashed first, so the comparison takes the same time whatever the lengths.
 */
export async function bearerMatches(
  authorization: string | null,
  expected: string | undefined,
): Promise<boolean> {
  if (!expected || !authorization) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  const [given, wanted] = await Promise.all([sha256(match?.[1] ?? ""), sha256(expected)]);
  return timingSafeEqual(given, wanted) && match !== null;
}
