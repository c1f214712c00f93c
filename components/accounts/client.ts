/**
 * Browser-side JSON calls of the account pages: {@link callJson} (shared with the chat) throws an
 * `ApiError` carrying the server's `{ error: { code, message } }`, whose message the forms show as is.
 */

export { ApiError, callJson } from "../api_client.ts";

/** The text of an error for a form's alert. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
