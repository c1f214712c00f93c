/**
 * The {@link AppState} each request starts with. The client's address for per-IP limits is worked
 * out when something first reads it (a rate-limited route), not for every request: it needs the
 * socket's address, an op call into Deno that the page rate measured (docs/performance.md, round
 * seven). `routes/_middleware.ts` fills in the session.
 */
import type { User } from "./accounts/users.ts";
import { clientIp } from "./security/client_ip.ts";
import type { AppState, Services } from "./services.ts";
import type { RouteContext } from "./web/types.ts";

/** Request state: the services, the owner (set by the middleware) and the lazily found client address. */
export class RequestState implements AppState {
  sessionId = "";
  anonymousOwnerId?: string;
  user?: User;
  authSessionId?: string;
  theme?: "light" | "dark";
  readonly #ctx: RouteContext<unknown>;
  /** Not looked up yet while undefined. */
  #clientIp: string | null | undefined = undefined;

  constructor(readonly services: Services, ctx: RouteContext<unknown>) {
    this.#ctx = ctx;
  }

  /** The address per-IP limits key on (`clientIp`, behind `TRUST_PROXY_HOPS` proxies), found on first read. */
  get clientIp(): string | null {
    if (this.#clientIp === undefined) {
      this.#clientIp = clientIp(this.#ctx.req, this.#ctx.remoteAddr, this.services.config.trustProxyHops);
    }
    return this.#clientIp;
  }

  set clientIp(ip: string | null) {
    this.#clientIp = ip;
  }
}
