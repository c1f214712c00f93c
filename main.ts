/**
 * Server entry (`deno task start`): loads the configuration, starts the app, and shuts down
 * gracefully on SIGINT/SIGTERM (in-flight replies are stored as `stopped`, connections drained).
 */
import { ConfigError, loadConfig } from "./lib/config.ts";
import { type RunningServer, startServer } from "./lib/server.ts";
import { describeStartupError } from "./lib/startup_error.ts";

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
  for (const warning of config.warnings ?? []) console.warn(`warning: ${warning}`);
  let server: RunningServer | undefined;
  try {
    server = await startServer(config, { dev: Deno.args.includes("--dev") });
    // The app rides out a database outage once running, but one that is unreachable or refuses the
    // password at start is a configuration mistake: say so and stop.
    await server.services.db.migrate().catch(async (e) => {
      await server?.shutdown().catch(() => {});
      throw e;
    });
  } catch (e) {
    const line = describeStartupError(e);
    if (line === null) throw e;
    console.error(line);
    Deno.exit(1);
  }
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
