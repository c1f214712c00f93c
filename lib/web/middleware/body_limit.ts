/**
 * Request body size limit and read deadline. A declared Content-Length over the limit gets 413 at
 * once; a body without one is counted while it streams and fails with a 413 {@link HttpError}
 * once over. A body not fully received within the deadline gets 408 `body_timeout` (whatever the
 * handler was doing with it), so a client trickling bytes cannot hold a request open for ever.
 */
import { HttpError, jsonError } from "../errors.ts";
import type { Middleware, RouteContext } from "../types.ts";

/** Options of {@link bodyLimit}. */
export interface BodyLimitOptions {
  /** Time to receive a whole body, ms, counted from when the request reaches this middleware (0 = none). */
  timeoutMs?: number;
}

/**
 * Middleware limiting request bodies to `maxBytes` and to `options.timeoutMs`; `perPath` sets
 * other size limits for exact paths (e.g. audio uploads).
 */
export function bodyLimit(
  defaultMax: number,
  perPath: Record<string, number> = {},
  options: BodyLimitOptions = {},
): Middleware {
  // Requests without a body (most) go straight on, without an `async` layer.
  return (req, ctx) => req.body === null ? ctx.next() : limited(req, ctx);
  async function limited(req: Request, ctx: RouteContext<unknown>): Promise<Response> {
    const maxBytes = perPath[ctx.url.pathname] ?? defaultMax;
    const declared = Number(req.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) return tooLarge(maxBytes);
    const body = limitBody(ctx, maxBytes);
    const timeoutMs = options.timeoutMs ?? 0;
    if (timeoutMs <= 0) return await ctx.next();
    const { promise: timedOut, resolve } = Promise.withResolvers<Response>();
    const timer = setTimeout(() => {
      if (body.finished) return;
      const e = bodyTimeout(timeoutMs);
      body.abort(e);
      resolve(jsonError(e.status, e.code, e.message));
    }, timeoutMs);
    body.done.then(() => clearTimeout(timer));
    try {
      return await Promise.race([ctx.next(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The counted body {@link limitBody} installed. */
export interface LimitedBody {
  /** True once the whole body was received (or it failed). */
  readonly finished: boolean;
  /** Settles when the body was received completely or failed. */
  readonly done: Promise<void>;
  /** Fails the body with `error` (the handler's read rejects) and stops receiving it. */
  abort(error: HttpError): void;
}

/** Replaces `ctx.req` with one whose body errors once more than `maxBytes` arrive. */
export function limitBody(ctx: RouteContext<unknown>, maxBytes: number): LimitedBody {
  const req = ctx.req;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  let finished = false;
  const finish = () => {
    finished = true;
    resolve();
  };
  if (req.body === null) {
    finish();
    return { finished: true, done, abort: () => {} };
  }
  // A pull-through stream rather than `pipeThrough` a `TransformStream`: the pipe's machinery cost
  // about twice as much per request body (docs/performance.md, round seven).
  let seen = 0;
  const source = req.body.getReader();
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const fail = (error: HttpError) => {
    finish();
    control?.error(error);
    source.cancel(error).catch(() => {});
  };
  const counted = new ReadableStream<Uint8Array>({
    start(controller) {
      control = controller;
    },
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await source.read();
      } catch (error) {
        finish();
        controller.error(error);
        return;
      }
      if (finished) return; // aborted while the read was under way
      if (chunk.done) {
        finish();
        controller.close();
        return;
      }
      seen += chunk.value.byteLength;
      if (seen > maxBytes) fail(bodyTooLarge(maxBytes));
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      finish();
      return source.cancel(reason);
    },
  });
  (ctx as { req: Request }).req = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: counted,
    duplex: "half",
  } as RequestInit);
  return {
    get finished() {
      return finished;
    },
    done,
    abort(error) {
      if (!finished) fail(error);
    },
  };
}

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `Request body is larger than ${maxBytes} bytes`);
}

function bodyTimeout(timeoutMs: number): HttpError {
  return new HttpError(
    408,
    "body_timeout",
    `The request body did not arrive within ${Math.round(timeoutMs / 100) / 10} s`,
  );
}

function tooLarge(maxBytes: number): Response {
  const e = bodyTooLarge(maxBytes);
  return jsonError(e.status, e.code, e.message);
}
