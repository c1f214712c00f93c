/**
 * Which paths need what in `AUTH_MODE=accounts`: public (sign-in pages and APIs, health, static
 * files and island bundles), admin-only (`/admin`, `/api/admin/*`) or a signed-in user (everything
 * else). In `open` mode the account pages and APIs do not exist.
 */

/** Access a path needs. */
export type Access = "public" | "user" | "admin";

const PUBLIC_EXACT = new Set([
  "/login",
  "/register",
  "/api/health",
  "/api/auth/login",
  "/api/auth/register",
  "/api/auth/logout",
]);

/** The access `pathname` needs in accounts mode. */
export function accessFor(method: string, pathname: string): Access {
  if (PUBLIC_EXACT.has(pathname) || pathname.startsWith("/api/auth/oidc/")) return "public";
  if (pathname === "/admin" || pathname.startsWith("/admin/") || pathname.startsWith("/api/admin/")) {
    return "admin";
  }
  if ((method === "GET" || method === "HEAD") && isAssetPath(pathname)) return "public";
  return "user";
}

/** Island bundles and static files (a file name with an extension, outside `/api`). */
function isAssetPath(pathname: string): boolean {
  if (pathname.startsWith("/_islands/")) return true;
  if (pathname.startsWith("/api/")) return false;
  const last = pathname.slice(pathname.lastIndexOf("/") + 1);
  return /^[^.][^/]*\.[A-Za-z0-9]+$/.test(last);
}

/** True for the pages and APIs that exist only in accounts mode (404 in open mode). */
export function isAccountsOnlyPath(pathname: string): boolean {
  return ["/login", "/register", "/account", "/admin"].includes(pathname) ||
    pathname.startsWith("/api/auth/") || pathname.startsWith("/api/admin/");
}

/** Whether a path is a JSON API (401 JSON) rather than a page (redirect to sign-in). */
export function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

/** Where a page redirects after sign-in: same-origin paths only (no `//host` or schemes). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
