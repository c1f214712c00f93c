/** HTTP errors a handler may throw; the web layer turns them into `{ error: { code, message } }`. */

export { HttpError } from "../http_error.ts";

/** The JSON error body of the API contract. */
export function jsonError(
  status: number,
  code: string,
  message: string,
  headers: HeadersInit = {},
): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
