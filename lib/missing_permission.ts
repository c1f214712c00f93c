/**
 * A missing Deno permission as one sentence for the terminal: which access was refused, to what, and
 * the flag that grants it. The entry points (`main.ts` through lib/startup_error.ts, and the `train`,
 * `eval`, `export-hf`, `build-data` and `validate-data` tasks) use it instead of letting Deno print an
 * uncaught `NotCapable` with a stack trace.
 */

/** What a refused permission check asked for, parsed from Deno's error message. */
export interface MissingPermission {
  /** The permission kind: `read`, `write`, `net`, `env`, `run`, `ffi`, `sys`, `import`. */
  kind: string;
  /** What access was asked to, as Deno names it (`"/tmp/x"`, `<TMP>`, `"HOME"`), or "" when unnamed. */
  target: string;
  /**
   * The flag that grants it (`--allow-write`). Not narrowed to the target: the program usually needs
   * more than the one path or variable it was refused first, so `--allow-write=/tmp/x` would only move
   * the failure to the next one.
   */
  flag: string;
}

// Deno 2: `Requires write access to "/tmp/x", run again with the --allow-write flag` (also `<TMP>`,
// `<CWD>`, and `Requires ffi access, ...` without a target).
const REQUIRES =
  /Requires (\w+) access(?: to ("[^"]*"|<[A-Z]+>|[^,\s]+))?, run again with the (--allow-[\w-]+) flag/;

/**
 * The permission `error` says is missing: a `Deno.errors.NotCapable`/`PermissionDenied`, one found
 * along its `cause` chain, or an error whose message quotes one (libraries such as the tfjs wasm
 * loader wrap the refusal in their own error). Null when it is not about a permission.
 */
export function missingPermission(error: unknown): MissingPermission | null {
  for (let e = error, depth = 0; e != null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const message = e instanceof Error ? e.message : typeof e === "string" ? e : "";
    const m = REQUIRES.exec(message);
    if (!m) continue;
    const [, kind, target = "", allow] = m;
    return { kind, target, flag: allow };
  }
  return null;
}

/**
 * One line for a missing permission: `<program>: missing permission: write access to "/x" (grant it
 * with --allow-write). <hint>`, or null when `error` is not about a permission. `hint` may depend on
 * the permission.
 */
export function describeMissingPermission(
  error: unknown,
  program: string,
  hint: string | ((missing: MissingPermission) => string) = "",
): string | null {
  const missing = missingPermission(error);
  if (missing === null) return null;
  if (typeof hint === "function") hint = hint(missing);
  const what = `${missing.kind} access${missing.target ? ` to ${missing.target}` : ""}`;
  return `${program}: missing permission: ${what} (grant it with ${missing.flag}).${hint ? ` ${hint}` : ""}`;
}

/**
 * For the `catch` of a task's entry point: prints {@link describeMissingPermission}'s line and exits
 * with `code` when `error` is a missing permission; otherwise returns (the caller handles or rethrows).
 */
export function exitOnMissingPermission(error: unknown, task: string, code = 2): void {
  const line = describeMissingPermission(
    error,
    task,
    `\`deno task ${task}\` runs it with the permissions it needs.`,
  );
  if (line === null) return;
  console.error(line);
  Deno.exit(code);
}
