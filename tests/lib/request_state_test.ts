import assert from "node:assert/strict";
import { RequestState } from "../../lib/request_state.ts";
import type { Services } from "../../lib/services.ts";
import type { RouteContext } from "../../lib/web/types.ts";

/** A context whose peer address counts its reads. */
function context(headers: Record<string, string> = {}) {
  const ctx = {
    req: new Request("http://x/", { headers }),
    reads: 0,
    get remoteAddr() {
      ctx.reads++;
      return "2001:db8:1:2:3:4:5:6";
    },
  };
  return ctx;
}
const services = (trustProxyHops: number) => ({ config: { trustProxyHops } }) as unknown as Services;

Deno.test("RequestState: the client address is found on first read, once, as /64 for IPv6", () => {
  const ctx = context();
  const state = new RequestState(services(0), ctx as unknown as RouteContext<unknown>);
  assert.equal(ctx.reads, 0);
  assert.equal(state.clientIp, "2001:db8:1:2::/64");
  assert.equal(state.clientIp, "2001:db8:1:2::/64");
  assert.equal(ctx.reads, 1);
});

Deno.test("RequestState: behind trusted proxies the address comes from X-Forwarded-For; a set one wins", () => {
  const ctx = context({ "x-forwarded-for": "203.0.113.9, 198.51.100.4" });
  const state = new RequestState(services(1), ctx as unknown as RouteContext<unknown>);
  assert.equal(state.clientIp, "198.51.100.4");
  const set = new RequestState(services(0), context() as unknown as RouteContext<unknown>);
  set.clientIp = null;
  assert.equal(set.clientIp, null);
});
