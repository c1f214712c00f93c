/**
 * The Fresh-convention web app on Hono: crawls `routes/` and `islands/`, builds island bundles,
 * and answers requests. Hono's router does the routing (method + path -> route file, params);
 * everything a route file sees is the small Fresh-like API in `types.ts`.
 */
import {
  METHOD_NAME_ALL as ALL_METHODS,
  type ParamIndexMap,
  type Params,
  type ParamStash,
} from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { getPath, tryDecodeURIComponent } from "hono/utils/url";
import type { ComponentType } from "preact";
import { buildIslands, type IslandBundle } from "./bundle.ts";
import { BUILD_DIR, BuildMissingError, loadSavedBuild } from "./build_output.ts";
import { runChain } from "./compose.ts";
import { type ContextPages, RequestContext } from "./context.ts";
import { HttpError, jsonError } from "./errors.ts";
import {
  classifyRouteFile,
  compareSpecificity,
  crawl,
  isUnder,
  type Segment,
  toHonoPath,
} from "./fs_routes.ts";
import { registerIslandModule } from "./islands.ts";
import { toFileUrl } from "./paths.ts";
import { type PageModule, renderPage } from "./render.ts";
import { builtFileResponse, staticFiles } from "./static.ts";
import type { Handler, Handlers, HttpMethod, Middleware, PageComponent, RouteContext } from "./types.ts";
import { log } from "../log.ts";

/** Options of {@link createWebApp}. */
export interface WebAppOptions<State> {
  /** Absolute project directory holding `routes/`, `islands/`, `static/`. */
  root: string;
  routesDir?: string;
  islandsDir?: string;
  staticDir?: string;
  /** Dev mode: unminified bundles with source maps, no long caching. */
  dev?: boolean;
  /** Fresh state for each request (services, config...), made for the request's context. */
  state: (ctx: RouteContext<unknown>) => State;
  /** Built-in middleware run before any `_middleware.ts` (security headers, logging, body limit). */
  middleware?: Middleware<State>[];
  /** Turns domain errors (e.g. "database unavailable") into HTTP errors; null leaves them as 500s. */
  mapError?: (error: unknown) => HttpError | null;
}

/** A built app: a fetch handler plus what was found on disk (for tests and logs). */
export interface WebApp {
  fetch(req: Request, info?: Deno.ServeHandlerInfo): Promise<Response>;
  routes: { path: string; file: string }[];
  islands: IslandBundle;
}

const METHODS: HttpMethod[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

interface LoadedRoute {
  file: string;
  segments: Segment[];
  handlers: Partial<Record<HttpMethod, Handler<unknown>>>;
  page?: PageComponent;
  middleware: Middleware<unknown>[];
  layouts: ComponentType<never>[];
}

/** Island files (relative to `islandsDir`), sorted. */
export async function listIslandFiles(islandsDir: string): Promise<string[]> {
  return (await exists(islandsDir) ? await crawl(islandsDir) : []).filter((f) => /\.[jt]sx?$/.test(f));
}

/**
 * The island bundles: in dev mode always built now; otherwise the saved build (`deno task build`) when
 * it is current, else built now in memory when a subprocess is allowed (tests, `deno run -A`).
 */
async function islandBundle(root: string, islandsDir: string, islandFiles: string[], dev: boolean) {
  if (dev) return await buildIslands(root, islandsDir, islandFiles, { dev });
  const saved = await loadSavedBuild(root, islandFiles, dev);
  if (saved.ok) return saved.bundle;
  if (Deno.permissions.querySync({ name: "run" }).state !== "granted") {
    throw new BuildMissingError(
      `The island bundles in ${BUILD_DIR}/ cannot be used (${saved.reason}): run \`deno task build\` first.`,
    );
  }
  return await buildIslands(root, islandsDir, islandFiles, { dev });
}

/** Crawls the project and returns the app. */
export async function createWebApp<State extends object>(options: WebAppOptions<State>): Promise<WebApp> {
  const { root, dev = false } = options;
  const routesDir = `${root}/${options.routesDir ?? "routes"}`;
  const islandsDir = `${root}/${options.islandsDir ?? "islands"}`;
  const staticDir = `${root}/${options.staticDir ?? "static"}`;
  const importModule = (path: string) => import(toFileUrl(path)) as Promise<Record<string, unknown>>;

  const islandFiles = await listIslandFiles(islandsDir);
  for (const file of islandFiles) registerIslandModule(file, await importModule(`${islandsDir}/${file}`));
  const islands = await islandBundle(root, islandsDir, islandFiles, dev);

  const classified = (await crawl(routesDir)).map(classifyRouteFile).filter((r) => r !== null);
  const modules = new Map<string, Record<string, unknown>>();
  for (const r of classified) modules.set(r.file, await importModule(`${routesDir}/${r.file}`));
  const special = (kind: "app" | "notFound" | "error") => {
    const found = classified.find((r) => r.kind === kind);
    return found ? modules.get(found.file)!.default as ComponentType<never> : undefined;
  };
  const scoped = (kind: "middleware" | "layout") =>
    classified.flatMap((r) => r.kind === kind ? [{ dir: r.dir, mod: modules.get(r.file)! }] : [])
      .sort((a, b) => a.dir.length - b.dir.length);
  const middlewareFiles = scoped("middleware");
  const layoutFiles = scoped("layout");
  const middlewareFor = (segments: Segment[]) =>
    middlewareFiles.filter((m) => isUnder(m.dir, segments)).flatMap((m) =>
      toArray(m.mod.handler) as Middleware<unknown>[]
    );

  const routes: LoadedRoute[] = classified.flatMap((r) => {
    if (r.kind !== "route") return [];
    const mod = modules.get(r.file)!;
    const page = typeof mod.default === "function" ? mod.default as PageComponent : undefined;
    const handlers = normalizeHandlers(mod.handler as Handlers<unknown> | undefined);
    if (!page && Object.keys(handlers).length === 0) {
      throw new Error(`routes/${r.file} exports neither a default page component nor a handler`);
    }
    return [{
      file: r.file,
      segments: r.segments,
      handlers,
      page,
      middleware: middlewareFor(r.segments),
      layouts: layoutFiles.filter((l) => isUnder(l.dir, r.segments)).map((l) =>
        l.mod.default as ComponentType<never>
      ),
    }];
  }).sort((a, b) => compareSpecificity(a.segments, b.segments));

  const appWrapper = special("app");
  const notFoundPage = special("notFound") as PageComponent | undefined;
  const errorPage = special("error") as PageComponent | undefined;
  const rootLayouts = layoutFiles.filter((l) => l.dir.length === 0).map((l) =>
    l.mod.default as ComponentType<never>
  );
  const serveStatic = staticFiles(staticDir);
  const staticPaths = new Set((await exists(staticDir) ? await crawl(staticDir) : []).map((f) => `/${f}`));
  const builtin = (options.middleware ?? []) as Middleware<unknown>[];
  const rootMiddleware = middlewareFor([]);

  const pageModule = (page: PageComponent, layouts: ComponentType<never>[]): PageModule => ({
    page,
    layouts,
    app: appWrapper,
    islands,
  });
  const isApi = (url: URL) => url.pathname === "/api" || url.pathname.startsWith("/api/");

  const renderNotFound = async (ctx: RouteContext<unknown>): Promise<Response> => {
    if (isApi(ctx.url) || !notFoundPage) {
      return jsonError(404, "not_found", `No route for ${ctx.url.pathname}`);
    }
    return await renderPage(pageModule(notFoundPage, rootLayouts), ctx, undefined, { status: 404 });
  };

  const renderError = async (ctx: RouteContext<unknown>, error: unknown): Promise<Response> => {
    error = options.mapError?.(error) ?? error;
    if (error instanceof HttpError) return jsonError(error.status, error.code, error.message, error.headers);
    log.error("unhandled error", {
      path: ctx.url.pathname,
      error: String(error),
      stack: (error as Error)?.stack,
    });
    if (isApi(ctx.url) || !errorPage) return jsonError(500, "internal", "Internal server error");
    try {
      return await renderPage(pageModule(errorPage, rootLayouts), ctx, undefined, { status: 500 }, error);
    } catch {
      return new Response("Internal server error", { status: 500 });
    }
  };

  /**
   * The end of a route's chain (`null`: no route matched): the handler for the request's method, or
   * 405; its errors go to `renderError`.
   */
  const endpointOf = (route: LoadedRoute | null) => (c: RouteContext<unknown>): Promise<Response> => {
    if (!route) return serveFallback(c);
    const method = c.req.method as HttpMethod;
    const handler = route.handlers[method] ??
      (method === "HEAD" ? route.handlers.GET : undefined) ??
      (route.page && (method === "GET" || method === "HEAD") ? () => c.render() : undefined);
    if (!handler) {
      const allowed = allowedMethods(route);
      return Promise.resolve(
        jsonError(405, "method_not_allowed", `${method} is not allowed here (allowed: ${allowed})`, {
          allow: allowed,
        }),
      );
    }
    const res = Promise.resolve(handler(c.req, c));
    return method === "HEAD" ? res.then((r) => new Response(null, r)) : res;
  };
  const lastOf = (route: LoadedRoute | null) => {
    const endpoint = endpointOf(route);
    return (c: RouteContext<unknown>): Promise<Response> => {
      try {
        return endpoint(c).catch((error) => renderError(c, error));
      } catch (error) {
        return renderError(c, error);
      }
    };
  };

  /** What the request path needs of a route (`null`: no route matched), made once per route. */
  interface Served {
    chain: Middleware<unknown>[];
    last: ReturnType<typeof lastOf>;
    pages: ContextPages;
  }
  const servedOf = (route: LoadedRoute | null): Served => {
    const module = route?.page ? pageModule(route.page, route.layouts) : null;
    return {
      chain: [...builtin, ...(route ? route.middleware : rootMiddleware)],
      last: lastOf(route),
      pages: {
        page: module ? (ctx, data, init) => renderPage(module, ctx, data, init) : null,
        notFound: renderNotFound,
      },
    };
  };
  const fallback = servedOf(null);

  // The request path is plain calls returning promises, not `async` functions awaiting each other, and
  // what does not depend on the request is made once: every request passes through it, and each
  // `async` layer or closure costs (docs/performance.md, rounds five and six). Errors still end in
  // `renderError` as rejections.
  const dispatch = (
    req: Request,
    url: URL,
    params: Record<string, string>,
    served: Served,
    info?: Deno.ServeHandlerInfo,
  ): Promise<Response> => {
    const ctx = new RequestContext(req, url, params, info, served.pages);
    ctx.state = options.state(ctx);
    return runChain(served.chain, served.last, ctx).catch((error) => renderError(ctx, error));
  };

  const serveFallback = async (ctx: RouteContext<unknown>): Promise<Response> => {
    if (ctx.req.method === "GET" || ctx.req.method === "HEAD") {
      const file = islands.files.get(ctx.url.pathname);
      if (file) return await builtFileResponse(ctx.req, file, dev);
      const res = await serveStatic(ctx.req, ctx.url.pathname);
      if (res) return res;
    }
    return await renderNotFound(ctx);
  };

  // The request's URL is parsed once, in `fetch`, and handed to the context. Hono's router (the one
  // `new Hono()` uses) and its path and parameter decoding are called directly: the `Hono` app around
  // them adds a context object, a request wrapper and two promises to every request, which the page
  // rate measured (docs/performance.md, round seven).
  const router = new SmartRouter<Served>({ routers: [new RegExpRouter(), new TrieRouter()] });
  for (const route of routes) router.add(ALL_METHODS, toHonoPath(route.segments), servedOf(route));

  return {
    fetch: (req, info) => {
      const url = new URL(req.url);
      if (req.method === "GET" || req.method === "HEAD") {
        // Like Fresh, static files and island bundles win over routes.
        const path = url.pathname;
        if (staticPaths.has(path) || islands.files.has(path)) return dispatch(req, url, {}, fallback, info);
      }
      const [matches, stash] = router.match(req.method, getPath(req));
      if (matches.length === 0) return dispatch(req, url, {}, fallback, info);
      const [served, found] = matches[0];
      return dispatch(req, url, paramsOf(found, stash), served, info);
    },
    routes: routes.map((r) => ({ path: toHonoPath(r.segments), file: r.file })),
    islands,
  };
}

/**
 * A match's path parameters, decoded as Hono decodes them: the router gives either the values or,
 * with `stash`, their places in it.
 */
function paramsOf(found: ParamIndexMap | Params, stash: ParamStash | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name in found) {
    const value = stash ? stash[(found as ParamIndexMap)[name]] : (found as Params)[name];
    if (value !== undefined) params[name] = tryDecodeURIComponent(value);
  }
  return params;
}

function allowedMethods(route: LoadedRoute): string {
  const set = new Set(Object.keys(route.handlers));
  if (route.page || set.has("GET")) set.add("GET").add("HEAD");
  return METHODS.filter((m) => set.has(m)).join(", ");
}

function normalizeHandlers(h: Handlers<unknown> | undefined): Partial<Record<HttpMethod, Handler<unknown>>> {
  if (!h) return {};
  if (typeof h === "function") return Object.fromEntries(METHODS.map((m) => [m, h]));
  return h;
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
