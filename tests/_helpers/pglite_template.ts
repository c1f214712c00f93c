/**
 * A migrated embedded-database directory, created once per machine and copied for each test
 * server: creating a PGlite cluster takes seconds, copying a migrated one milliseconds. The
 * template is keyed by the migrations' content, so a new migration builds a new template.
 */
import { openDatabase } from "../../lib/db/mod.ts";

const migrationsDir = new URL("../../lib/db/migrations/", import.meta.url);

async function migrationsKey(): Promise<string> {
  const names = [...Deno.readDirSync(migrationsDir)].map((e) => e.name).sort();
  let text = "";
  for (const name of names) text += name + (await Deno.readTextFile(new URL(name, migrationsDir)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Returns a fresh DATA_DIR holding a copy of the migrated template database. */
export async function freshDataDir(): Promise<string> {
  const template = `${Deno.env.get("TMPDIR") ?? "/tmp"}/mc-pglite-template-${await migrationsKey()}`;
  try {
    await Deno.stat(`${template}/pglite`);
  } catch {
    const building = await Deno.makeTempDir({ prefix: "mc-pglite-build-" });
    const db = await openDatabase({ dataDir: building });
    await db.close();
    try {
      await Deno.rename(building, template);
    } catch {
      await Deno.remove(building, { recursive: true }); // another test process won the race
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "mc-test-" });
  const cp = await new Deno.Command("cp", { args: ["-a", `${template}/pglite`, `${dir}/pglite`] }).output();
  if (!cp.success) {
    throw new Error(`copying the template database failed: ${new TextDecoder().decode(cp.stderr)}`);
  }
  return dir;
}
