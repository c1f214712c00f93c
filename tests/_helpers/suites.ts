/**
 * Decides whether a test suite that needs something outside Deno (Chromium, PostgreSQL binaries,
 * OpenBLAS) can run here. Locally a missing dependency skips the suite with a note; in CI
 * (`MINI_CLAUDE_REQUIRE_ALL=1`, set by `.ci/run`) a suite that would be skipped fails instead,
 * so nothing is silently left out.
 */
export function requireSuite(suite: string, missing: string | null): boolean {
  if (missing === null) return true;
  if (Deno.env.get("MINI_CLAUDE_REQUIRE_ALL") === "1") {
    throw new Error(`suite "${suite}" cannot run: ${missing} (MINI_CLAUDE_REQUIRE_ALL=1 forbids skipping)`);
  }
  console.warn(`[skip] ${suite}: ${missing}`);
  return false;
}

/** Returns null when `path` exists and is a file, else a message naming it. */
export function missingFile(path: string, what: string): string | null {
  try {
    return Deno.statSync(path).isFile ? null : `${what} not found at ${path}`;
  } catch {
    return `${what} not found at ${path}`;
  }
}
