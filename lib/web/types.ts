/**
 * Types of the Fresh-convention web layer: what a route file, a middleware file and a page
 * component see. They mirror Fresh 1.x (`Handlers`, `PageProps`, `ctx.render`, `ctx.next`) so a
 * later move to real Fresh is mechanical.
 */
import type { ComponentChildren, ComponentType, VNode } from "preact";

/** Per-request context passed to handlers and middleware. */
export interface RouteContext<State = unknown, Data = unknown> {
  /** The incoming request (body unread). */
  readonly req: Request;
  /** Parsed request URL. */
  readonly url: URL;
  /** Path parameters: `[id]` -> `params.id`, `[...rest]` -> `params.rest` (may contain `/`). */
  readonly params: Record<string, string>;
  /** Request-scoped state, seeded by the app and extended by middleware. */
  state: State;
  /** Renders the route's page component with `data`; `init` sets status and headers. */
  render(data?: Data, init?: ResponseInit): Promise<Response>;
  /** Renders the app's `_404` page (or a plain 404). */
  renderNotFound(): Promise<Response>;
  /** In middleware: runs the rest of the chain and returns its response. */
  next(): Promise<Response>;
  /** Remote address of the client as seen by the server, when known. */
  readonly remoteAddr?: string;
}

/** A handler for one HTTP method. */
export type Handler<State = unknown, Data = unknown> = (
  req: Request,
  ctx: RouteContext<State, Data>,
) => Response | Promise<Response>;

/** A route module's `handler` export: one function for every method, or one per method. */
export type Handlers<State = unknown, Data = unknown> =
  | Handler<State, Data>
  | Partial<Record<HttpMethod, Handler<State, Data>>>;

/** Methods a route may handle. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** Props of a page component (a route module's default export). */
export interface PageProps<Data = unknown, State = unknown> {
  data: Data;
  params: Record<string, string>;
  url: URL;
  state: State;
  /** Set by `_404`/`_500` pages: the error, when there was one. */
  error?: unknown;
}

/** Props of `_app.tsx` and `_layout.tsx`: the wrapped page or inner layout. */
export interface LayoutProps<State = unknown> extends PageProps<unknown, State> {
  Component: ComponentType<Record<string, never>>;
}

/** A page may be sync or async (async pages are awaited before rendering). */
export type PageComponent = (
  props: PageProps,
) => VNode | ComponentChildren | Promise<VNode | ComponentChildren>;

/** A `_middleware.ts` export: one function or a chain applied in order. */
export type Middleware<State = unknown> = (
  req: Request,
  ctx: RouteContext<State>,
) => Response | Promise<Response>;
