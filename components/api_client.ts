/**
 * The browser's JSON calls to this server's API, shared by the chat and the account pages: a failed call
 * throws {@link ApiError} carrying the server's `{ error: { code, message } }` (`network` when no answer
 * came), whose message the UI shows as is.
 */
import { CodedError } from "../ml/errors.ts";

/** A failed API call: the server's error code and message (`network` when no answer came). */
export class ApiError extends CodedError<string> {
  /** HTTP status (0 without a response). */
  readonly status: number;
  constructor(code: string, message: string, status = 0) {
    // code: the server's reason, e.g. `not_found`, `message_too_long`, `model_unavailable`.
    super(code, message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The {@link ApiError} of a response that is not ok, from its JSON error body when it has one. */
export async function apiFailure(res: Response): Promise<ApiError> {
  const fallback = `The server answered ${res.status}`;
  try {
    const body = await res.json() as { error?: { code?: string; message?: string } } | null;
    return new ApiError(body?.error?.code ?? "http_error", body?.error?.message ?? fallback, res.status);
  } catch {
    return new ApiError("http_error", fallback, res.status);
  }
}

/** `fetch` that turns a failure to reach the server into `ApiError("network")`. */
export async function reach(input: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch {
    throw new ApiError("network", "The server could not be reached.");
  }
}

/** Sends `body` as JSON with `method` to `path`; the parsed JSON answer (null for an empty one, e.g. 204). */
export async function callJson<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await reach(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await apiFailure(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}
