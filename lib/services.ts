/**
 * The services a request can reach through `ctx.state`: configuration, session signing, and
 * (as they arrive) the database, the chat model and the voice service. Built once at start.
 */
import type { Config } from "./config.ts";
import type { HealthCheck } from "./health.ts";
import { loadSessionSecrets, SessionSigner } from "./security/session.ts";

/** Everything the routes use, created once per server. */
export interface Services {
  config: Config;
  signer: SessionSigner;
  /** Health checks by name (`database`, `model`, `voice`). */
  health: Record<string, HealthCheck>;
  /** Aborted when the server begins shutting down; long-running streams listen to it. */
  shutdown: AbortSignal;
  /** Releases what the services hold (connections, workers). */
  close(): Promise<void>;
}

/** Request state seen by route handlers and pages. */
export interface AppState {
  services: Services;
  /** Signed-cookie session id (set by `routes/_middleware.ts`). */
  sessionId: string;
  /** The theme chosen with the toggle (cookie `mc_theme`); undefined follows the system. */
  theme?: "light" | "dark";
}

/** Builds the services for `config`. */
export async function createServices(config: Config, shutdown: AbortSignal): Promise<Services> {
  const signer = await SessionSigner.create(await loadSessionSecrets(config.sessionSecrets, config.dataDir));
  const health: Record<string, HealthCheck> = {
    database: () => Promise.resolve({ ok: false, error: "no database layer yet" }),
    model: () =>
      Promise.resolve(
        config.gemini.apiKey
          ? { ok: true, provider: "gemini" }
          : { ok: false, error: "no model configured: set GEMINI_API_KEY to chat with Gemini" },
      ),
    voice: () =>
      Promise.resolve(
        config.elevenLabs.apiKey ? { ok: true, provider: "elevenlabs" } : { ok: true, provider: "browser" },
      ),
  };
  return { config, signer, health, shutdown, close: () => Promise.resolve() };
}
