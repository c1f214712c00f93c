/**
 * The `deno run ...` arguments of a task in deno.json, for tests that spawn a task's script with
 * exactly the flags `deno task <name>` grants it (and then remove one to see what a missing permission
 * prints).
 */

/** The repository root (absolute path, ending in `/`). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** Every task of deno.json, name to command line. */
export const TASKS: Record<string, string> = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks;

/** The arguments after `deno` of the last `deno run` in a task (so `start` without its `build` step). */
export function taskRunArgs(task: string): string[] {
  const cmd = TASKS[task]?.split("&&").map((s) => s.trim()).findLast((s) => s.startsWith("deno run "));
  if (!cmd) throw new Error(`deno.json has no task "${task}" that runs \`deno run\``);
  return cmd.split(/\s+/).slice(1);
}

/** `args` without the flag `flag` (exactly, or with a `=value`). */
export function withoutFlag(args: string[], flag: string): string[] {
  return args.filter((a) => a !== flag && !a.startsWith(`${flag}=`));
}
