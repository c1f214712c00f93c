/**
 * The per-request {@link RouteContext}, as a class: every request makes one, so what does not
 * depend on the request (rendering the route's page, the 404 page) is a shared method rather than
 * closures made per request, and the client's address is asked of Deno only when something reads
 * it (an op call per request otherwise; docs/performance.md, round seven).
 */
import type { RouteContext } from "./types.ts";

/** What a context needs from the app: its route's page (if any) and the 404 page. */
export interface ContextPages {
  /** Renders the route's page component; null when the route has none. */
  page: ((ctx: RouteContext<unknown>, data?: unknown, init?: ResponseInit) => Promise<Response>) | null;
  /** Renders the app's 404 page. */
  notFound(ctx: RouteContext<unknown>): Promise<Response>;
}

/** The context of one request; `state` is set by the app right after it is made. */
export class RequestContext<State = unknown> implements RouteContext<State> {
  state!: State;
  next: () => Promise<Response> = notInMiddleware;
  readonly #pages: ContextPages;
  readonly #info: Deno.ServeHandlerInfo | undefined;
  #remoteAddr: string | undefined | null = null;

  constructor(
    readonly req: Request,
    readonly url: URL,
    readonly params: Record<string, string>,
    info: Deno.ServeHandlerInfo | undefined,
    pages: ContextPages,
  ) {
    this.#info = info;
    this.#pages = pages;
  }

  /** The peer's address as Deno saw it (read from Deno once, on first use). */
  get remoteAddr(): string | undefined {
    if (this.#remoteAddr === null) {
      this.#remoteAddr = (this.#info?.remoteAddr as Deno.NetAddr | undefined)?.hostname;
    }
    return this.#remoteAddr;
  }

  render(data?: unknown, init?: ResponseInit): Promise<Response> {
    const page = this.#pages.page;
    if (!page) return Promise.reject(new Error("this route has no page component"));
    return page(this as RouteContext<unknown>, data, init);
  }

  renderNotFound(): Promise<Response> {
    return this.#pages.notFound(this as RouteContext<unknown>);
  }
}

/** `ctx.next` outside middleware. */
function notInMiddleware(): Promise<Response> {
  return Promise.reject(new Error("ctx.next() is only available in middleware"));
}
