/** One structured JSON log line per request: method, path, status, milliseconds to headers. */
import type { Middleware } from "../types.ts";

/** Middleware writing the request log through `write` (default: console.log). */
export function requestLog(write: (line: string) => void = console.log): Middleware {
  return async (req, ctx) => {
    const start = performance.now();
    let status = 500;
    try {
      const res = await ctx.next();
      status = res.status;
      return res;
    } finally {
      write(JSON.stringify({
        time: new Date().toISOString(),
        level: status >= 500 ? "error" : "info",
        msg: "request",
        method: req.method,
        path: ctx.url.pathname,
        status,
        ms: Math.round((performance.now() - start) * 10) / 10,
      }));
    }
  };
}
