/**
 * Refuses request methods the app does not implement (TRACE, TRACK, CONNECT, WebDAV verbs,
 * made-up ones) with 501 before any other middleware sees them. Some of them cannot even be put
 * into a `Request` object (TRACE is a forbidden method in the Fetch standard), so middleware that
 * re-wraps the request would otherwise fail with a 500.
 */
import { jsonError } from "../errors.ts";
import type { Middleware } from "../types.ts";

/** The methods route files can handle. */
export const IMPLEMENTED_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

/** Middleware answering 501 for a method outside {@link IMPLEMENTED_METHODS}. */
export function methodGuard(): Middleware {
  return (req, ctx) => {
    if (IMPLEMENTED_METHODS.has(req.method)) return ctx.next();
    return Promise.resolve(
      jsonError(501, "method_not_implemented", `The ${req.method.slice(0, 20)} method is not supported`, {
        allow: [...IMPLEMENTED_METHODS].join(", "),
      }),
    );
  };
}
