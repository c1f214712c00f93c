/**
 * The README stays a short entry point that is still complete: under 15,000 bytes, every `deno task`
 * of deno.json in its tasks table (and no row for a task that is gone), and every environment variable
 * the configuration reads documented in the README or a docs/ page.
 */
import assert from "node:assert/strict";
import { CONFIG_ENV_VARS } from "../../lib/config.ts";
import { ROOT, TASKS } from "../_helpers/task_args.ts";

const readme = await Deno.readTextFile(`${ROOT}README.md`);

Deno.test("README.md is under 15,000 bytes", () => {
  const bytes = new TextEncoder().encode(readme).length;
  assert.ok(
    bytes < 15_000,
    `README.md is ${bytes} bytes; move long tables to docs/ (e.g. docs/benchmarks.md)`,
  );
});

Deno.test("the README's tasks table has a row for every deno task, and only for those", () => {
  // Rows such as "| `deno task validate-data <file>` | ... |".
  const rows = [...readme.matchAll(/^\| `deno task ([a-z][a-z0-9-]*)[^`]*` +\|/gm)].map((m) => m[1]);
  assert.ok(rows.length > 0, "README.md has a tasks table");
  const missing = Object.keys(TASKS).filter((t) => !rows.includes(t));
  assert.deepEqual(
    missing,
    [],
    `tasks of deno.json missing from the README's tasks table: ${missing.join(", ")}`,
  );
  const unknown = rows.filter((t) => !(t in TASKS));
  assert.deepEqual(unknown, [], `README rows for tasks deno.json does not have: ${unknown.join(", ")}`);
});

Deno.test("every environment variable of lib/config.ts is documented in the README or docs/", async () => {
  let docs = readme;
  for await (const entry of Deno.readDir(`${ROOT}docs`)) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      docs += await Deno.readTextFile(`${ROOT}docs/${entry.name}`);
    }
  }
  assert.ok(CONFIG_ENV_VARS.length > 30, `${CONFIG_ENV_VARS.length} variables read`);
  const undocumented = CONFIG_ENV_VARS.filter((name) => !new RegExp(`\\b${name}\\b`).test(docs));
  assert.deepEqual(undocumented, [], `not in README.md or docs/*.md: ${undocumented.join(", ")}`);
});
