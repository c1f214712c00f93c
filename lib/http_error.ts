/**
 * The error a request handler throws to answer with an HTTP status and `{ error: { code, message } }`.
 * It lives outside `lib/web` so modules that only describe the API (`lib/chat/api.ts`,
 * `lib/chat/respond.ts`) need nothing from the web layer; `lib/web/errors.ts` re-exports it.
 */

/** An error with an HTTP status and a machine-readable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}
