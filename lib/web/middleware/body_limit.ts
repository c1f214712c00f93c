/**
 * Request body size limit: a declared Content-Length over the limit gets 413 at once; a body
 * without one is counted while it streams and fails with a 413 {@link HttpError} once over.
 */
import { HttpError, jsonError } from "../errors.ts";
import type { Middleware, RouteContext } from "../types.ts";

/**
 * Middleware limiting request bodies to `maxBytes`; `perPath` sets other limits for exact paths
 * (e.g. audio uploads).
 */
export function bodyLimit(defaultMax: number, perPath: Record<string, number> = {}): Middleware {
  return (req, ctx) => {
    if (req.body === null) return ctx.next();
    const maxBytes = perPath[ctx.url.pathname] ?? defaultMax;
    const declared = Number(req.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) return Promise.resolve(tooLarge(maxBytes));
    limitBody(ctx, maxBytes);
    return ctx.next();
  };
}

/** Replaces `ctx.req` with one whose body errors once more than `maxBytes` arrive. */
export function limitBody(ctx: RouteContext<unknown>, maxBytes: number): void {
  const req = ctx.req;
  if (req.body === null) return;
  let seen = 0;
  const counted = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(bodyTooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  (ctx as { req: Request }).req = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: counted,
    duplex: "half",
  } as RequestInit);
}

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `Request body is larger than ${maxBytes} bytes`);
}

function tooLarge(maxBytes: number): Response {
  const e = bodyTooLarge(maxBytes);
  return jsonError(e.status, e.code, e.message);
}
