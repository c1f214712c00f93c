/** One structured log line per request (lib/log.ts): method, path, status, milliseconds to headers. */
import { log } from "../../log.ts";
import type { Middleware } from "../types.ts";

/** Middleware writing the request log at `info` (`error` for 5xx). */
export function requestLog(): Middleware {
  return async (req, ctx) => {
    const start = performance.now();
    let status = 500;
    try {
      const res = await ctx.next();
      status = res.status;
      return res;
    } finally {
      const fields = {
        method: req.method,
        path: ctx.url.pathname,
        status,
        ms: Math.round((performance.now() - start) * 10) / 10,
      };
      if (status >= 500) log.error("request", fields);
      else log.info("request", fields);
    }
  };
}
