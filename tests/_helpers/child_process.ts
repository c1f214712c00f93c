/**
 * Runs a Deno script (the app's `main.ts`, a protocol stub) as a child process and waits until it
 * prints `listening on <url>`, for multi-process tests and benchmarks.
 */

/** A child process that is listening. */
export interface ListeningChild {
  /** The URL it printed. */
  url: string;
  child: Deno.ChildProcess;
  /** Sends SIGTERM (once) and waits for the exit; returns the exit code. */
  stop(): Promise<number>;
}

/** Starts `deno run -A <script> ...args` with `env` and resolves once it prints `listening on <url>`. */
export function spawnListening(
  script: URL,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ListeningChild> {
  return spawnDenoListening(["run", "-A", script.pathname, ...(options.args ?? [])], { env: options.env });
}

/**
 * Starts `deno <args>` (e.g. a task's own `run` flags) and resolves once it prints `listening on <url>`;
 * rejects with what it printed when it exits first. Its stdout is drained from then on; its stderr goes
 * to this process's (default) or nowhere.
 */
export async function spawnDenoListening(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stderr?: "inherit" | "null" } = {},
): Promise<ListeningChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`deno ${args.join(" ")} exited before listening: ${out}`);
    out += value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain so the child never blocks on a full pipe */ }
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

/** What a finished `deno` child printed, and its exit code. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in `cwd` with exactly `env`, to the end (killed after `timeoutMs`). */
export async function runDeno(
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<DenoRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
