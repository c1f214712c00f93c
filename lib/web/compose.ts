/** Runs middleware in order; each calls `ctx.next()` to continue to the next one and finally `last`. */
import type { Middleware, RouteContext } from "./types.ts";

/**
 * Composes a chain of middleware ending in `last`. A step is a plain call, not an `async` wrapper:
 * every request passes through each step, and each `async` layer costs a promise and a microtask
 * (docs/performance.md, round five). A middleware that throws instead of rejecting still yields a
 * rejected promise.
 */
export function runChain<State>(
  chain: readonly Middleware<State>[],
  last: (ctx: RouteContext<State>) => Response | Promise<Response>,
  ctx: RouteContext<State>,
): Promise<Response> {
  const step = (i: number): Promise<Response> => {
    try {
      if (i === chain.length) return Promise.resolve(last(ctx));
      let called = false;
      ctx.next = () => {
        if (called) throw new Error("ctx.next() called twice in one middleware");
        called = true;
        return step(i + 1);
      };
      return Promise.resolve(chain[i](ctx.req, ctx));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return step(0);
}
