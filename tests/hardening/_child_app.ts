/** Runs the real entry point (`deno run -A main.ts`) as a child process for multi-process tests. */

/** A running child app. */
export interface ChildApp {
  url: string;
  child: Deno.ChildProcess;
  /** Sends SIGTERM and waits for the exit; returns the exit code. */
  stop(): Promise<number>;
}

/** Starts `main.ts` with `env` (PORT=0 and loopback by default) and waits until it listens. */
export async function startChildApp(env: Record<string, string>): Promise<ChildApp> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname],
    env: { PORT: "0", HOSTNAME: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`app exited before listening: ${out}`);
    out += value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  let stopped: Promise<number> | null = null;
  return {
    url: /listening on (\S+)/.exec(out)![1],
    child,
    stop() {
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        return (await child.status).code;
      })();
      return stopped;
    },
  };
}
