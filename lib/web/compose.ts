/** Runs middleware in order; each calls `ctx.next()` to continue to the next one and finally `last`. */
import type { Middleware, RouteContext } from "./types.ts";

/** Composes a chain of middleware ending in `last`. */
export function runChain<State>(
  chain: Middleware<State>[],
  last: (ctx: RouteContext<State>) => Response | Promise<Response>,
  ctx: RouteContext<State>,
): Promise<Response> {
  const step = async (i: number): Promise<Response> => {
    if (i === chain.length) return await last(ctx);
    let called = false;
    ctx.next = () => {
      if (called) throw new Error("ctx.next() called twice in one middleware");
      called = true;
      return step(i + 1);
    };
    return await chain[i](ctx.req, ctx);
  };
  return step(0);
}
