/**
 * Server entry (`deno task start`): loads the configuration, starts the app, and shuts down
 * gracefully on SIGINT/SIGTERM (in-flight replies are stored as `stopped`, connections drained).
 *
 * The app's modules are imported dynamically, inside the startup error handling: some dependencies
 * read the environment while they load, so a missing permission must be caught there too.
 */
import { describeStartupError } from "./lib/startup_error.ts";

async function main(): Promise<void> {
  const { ConfigError, loadConfig } = await import("./lib/config.ts");
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
  const { startServer } = await import("./lib/server.ts");
  const server = await startServer(config, { dev: Deno.args.includes("--dev") });
  // The app rides out a database outage once running, but one that is unreachable or refuses the
  // password at start is a configuration mistake: say so and stop.
  await server.services.db.migrate().catch(async (e) => {
    await server.shutdown().catch(() => {});
    throw e;
  });
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

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    const line = describeStartupError(e);
    if (line === null) throw e;
    console.error(line);
    Deno.exit(1);
  }
}
