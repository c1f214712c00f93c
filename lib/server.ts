/**
 * Assembles the app (services + Fresh-convention web layer + built-in middleware) and serves it
 * with `Deno.serve`. Used by `main.ts` and by tests, which start it on port 0.
 */
import { MULTIPART_OVERHEAD_BYTES } from "./attachments/upload.ts";
import webConfig from "../fresh.config.ts";
import type { Config } from "./config.ts";
import { DatabaseError, isConnectionError } from "./db/mod.ts";
import { DEFAULT_VOICE_LIMITS } from "./voice/limits.ts";
import { HttpError } from "./web/errors.ts";
import { type AppState, createServices, type Services } from "./services.ts";
import { createWebApp, type WebApp } from "./web/app.ts";
import { RequestState } from "./request_state.ts";
import { bodyLimit } from "./web/middleware/body_limit.ts";
import { csrf } from "./web/middleware/csrf.ts";
import { methodGuard } from "./web/middleware/method_guard.ts";
import { requestLog } from "./web/middleware/request_log.ts";
import { securityHeaders } from "./web/middleware/security_headers.ts";
import { fromFileUrl } from "./web/paths.ts";
import type { Middleware } from "./web/types.ts";
import { log, logEnabled } from "./log.ts";

/**
 * Maps store errors to HTTP: a value PostgreSQL refuses as data (SQLSTATE class 22: bad encoding,
 * out of range) and the store's `invalid_input` are 400; every other database failure — the server
 * unreachable, too many clients (53300), out of resources, a failed migration, any other SQLSTATE —
 * is 503 with `Retry-After`, never a 500 (the app keeps running and the client may retry).
 */
export function mapError(error: unknown): HttpError | null {
  if (isDataException(error)) {
    return new HttpError(400, "invalid_input", "The database refused a value in this request");
  }
  if (error instanceof DatabaseError && error.code === "invalid_input") {
    return new HttpError(400, "invalid_input", error.message);
  }
  if (error instanceof DatabaseError && error.code === "not_found") {
    return new HttpError(404, "not_found", error.message);
  }
  if (!(error instanceof DatabaseError) && !isPostgresError(error)) return null;
  if (!isConnectionError(error) && !isConnectionError((error as Error).cause)) {
    // Not an outage: worth a look, but still no 500 for the client.
    log.error("database failure", {
      code: (error as { code?: unknown }).code ?? null,
      error: String((error as Error)?.message ?? error),
    });
  }
  return new HttpError(
    503,
    "database_unavailable",
    "The database is unavailable right now. Please try again shortly.",
    { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) },
  );
}

/** `Retry-After` of a 503 caused by the database, seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

function isPostgresError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "PostgresError";
}

function isDataException(error: unknown): boolean {
  const e = error as { code?: unknown } | null;
  return isPostgresError(error) && typeof e?.code === "string" && e.code.startsWith("22");
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  port: number;
  app: WebApp;
  services: Services;
  /** Stops accepting connections, signals in-flight streams, waits for them, closes services. */
  shutdown(): Promise<void>;
}

const projectRoot = fromFileUrl(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Builds the web app for `services`. */
export async function createApp(services: Services, opts: { dev?: boolean } = {}): Promise<WebApp> {
  const m = webConfig.middleware;
  const middleware = [
    m.requestLog && logEnabled("info") ? requestLog() : null,
    methodGuard(),
    m.securityHeaders ? securityHeaders() : null,
    m.csrf ? csrf() : null,
    m.bodyLimit
      ? bodyLimit(services.config.maxBodyBytes, {
        "/api/stt": DEFAULT_VOICE_LIMITS.maxUploadBytes + 64 * 1024,
        "/api/attachments": services.config.maxAttachmentBytes + MULTIPART_OVERHEAD_BYTES,
        "/api/import": services.config.maxImportBytes,
      }, { timeoutMs: services.config.bodyTimeoutSeconds * 1000 })
      : null,
  ].filter((x): x is Middleware => x !== null) as Middleware<unknown>[] as Middleware<AppState>[];
  return await createWebApp<AppState>({
    root: projectRoot,
    routesDir: webConfig.routesDir,
    islandsDir: webConfig.islandsDir,
    staticDir: webConfig.staticDir,
    dev: opts.dev,
    state: (ctx) => new RequestState(services, ctx),
    middleware,
    mapError,
  });
}

/** Starts the server for `config`. */
export async function startServer(config: Config, opts: { dev?: boolean } = {}): Promise<RunningServer> {
  const stopping = new AbortController();
  const services = await createServices(config, stopping.signal);
  const app = await createApp(services, opts);
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
  }, app.fetch);
  const addr = await listening;
  const host = addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    app,
    services,
    async shutdown() {
      stopping.abort();
      await server.shutdown();
      await services.close();
    },
  };
}
