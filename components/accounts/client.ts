/**
 * Browser-side JSON calls of the account pages. A failure throws {@link AccountApiError} carrying
 * the server's `{ error: { code, message } }`, whose message the forms show as is.
 */

import { CodedError } from "../../ml/errors.ts";

/** A failed call: the server's code and message (`network` when no answer came). */
export class AccountApiError extends CodedError<string> {
  constructor(code: string, message: string, readonly status = 0) {
    super(code, message);
    this.name = "AccountApiError";
  }
}

/** Sends `body` as JSON with `method` to `path`; returns the parsed JSON (null for 204). */
export async function callJson<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new AccountApiError("network", "The server could not be reached.");
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: fall through to the status
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new AccountApiError(
      err?.code ?? "http_error",
      err?.message ?? `The server answered ${res.status}`,
      res.status,
    );
  }
  return data as T;
}

/** The text of an error for a form's alert. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
