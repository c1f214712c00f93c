/**
 * The error a request handler throws to answer with an HTTP status and `{ error: { code, message } }`.
 * It lives outside `lib/web` so modules that only describe the API (`lib/chat/api.ts`,
 * `lib/chat/respond.ts`) need nothing from the web layer; `lib/web/errors.ts` re-exports it.
 */

import { CodedError } from "../ml/errors.ts";

/** An error with an HTTP status and a machine-readable code. */
export class HttpError extends CodedError<string> {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.name = "HttpError";
  }
}
