/**
 * Server entry (`deno task start`): loads the configuration, starts the app, and shuts down
 * gracefully on SIGINT/SIGTERM (in-flight replies are stored as `stopped`, connections drained).
 */
import { ConfigError, loadConfig } from "./lib/config.ts";
import { startServer } from "./lib/server.ts";

if (import.meta.main) {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      Deno.exit(1);
    }
    throw e;
  }
  const server = await startServer(config, { dev: Deno.args.includes("--dev") });
  console.log(`Mini-Claude listening on ${server.url}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}
