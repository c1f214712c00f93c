import assert from "node:assert/strict";
import { runChain } from "../../../lib/web/compose.ts";
import type { Middleware, RouteContext } from "../../../lib/web/types.ts";

const context = () => ({ req: new Request("http://127.0.0.1/") }) as RouteContext<unknown>;

Deno.test("runChain runs middleware in order around the endpoint, plain or async, and each may answer", async () => {
  const seen: string[] = [];
  const plain: Middleware = (_req, ctx) => (seen.push("plain"), ctx.next());
  const wrapping: Middleware = async (_req, ctx) => {
    seen.push("wrapping in");
    const res = await ctx.next();
    seen.push("wrapping out");
    return new Response(`${await res.text()}!`, { status: res.status });
  };
  const res = await runChain(
    [plain, wrapping],
    () => (seen.push("endpoint"), new Response("done")),
    context(),
  );
  assert.equal(await res.text(), "done!");
  assert.deepEqual(seen, ["plain", "wrapping in", "endpoint", "wrapping out"]);
  const answering: Middleware = () => new Response("early", { status: 403 });
  const early = await runChain([answering, plain], () => new Response("never"), context());
  assert.deepEqual([early.status, await early.text()], [403, "early"]);
});

Deno.test("runChain turns a throw into a rejection, wherever it happens, and refuses a second next()", async () => {
  const boom = new Error("boom");
  const throwing: Middleware = () => {
    throw boom;
  };
  const passing: Middleware = (_req, ctx) => ctx.next();
  for (const chain of [[throwing], [passing, throwing]]) {
    const result = runChain(chain, () => new Response("never"), context());
    assert.ok(result instanceof Promise, "a promise, not a synchronous throw");
    await assert.rejects(result, boom);
  }
  await assert.rejects(
    runChain([passing], () => {
      throw boom;
    }, context()),
    boom,
  );
  const twice: Middleware = async (_req, ctx) => {
    await ctx.next();
    return await ctx.next();
  };
  await assert.rejects(runChain([twice], () => new Response("x"), context()), /ctx\.next\(\) called twice/);
});
