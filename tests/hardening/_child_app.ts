/** Runs the real entry point (`deno run -A main.ts`) as a child process for multi-process tests. */
import { type ListeningChild, spawnListening } from "../_helpers/child_process.ts";

/** A running child app. */
export type ChildApp = ListeningChild;

/** Starts `main.ts` with `env` (PORT=0 and loopback by default) and waits until it listens. */
export function startChildApp(env: Record<string, string>): Promise<ChildApp> {
  return spawnListening(new URL("../../main.ts", import.meta.url), {
    env: { PORT: "0", LISTEN_HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
  });
}
