/** Session handling tied to the request: what a new sign-in does to the browser's previous one. */
import type { Queryable } from "../db/sql.ts";
import { isHttps, readAuthCookie } from "./cookie.ts";
import { revokeToken } from "./sessions.ts";

/**
 * Revokes the session the browser held before this sign-in (signing in as someone else, or again,
 * replaces the cookie; the old session must not live on unseen in the devices list).
 */
export async function replacedSession(req: Request, url: URL, sql: Queryable): Promise<void> {
  const old = readAuthCookie(req, isHttps(req, url));
  if (old) await revokeToken(sql, old);
}
