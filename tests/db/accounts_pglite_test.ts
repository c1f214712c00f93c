/** The accounts suite on embedded PGlite. */
import { openDatabase } from "../../lib/db/mod.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { runAccountsSuite } from "./accounts_suite.ts";

Deno.test({ name: "accounts on PGlite", sanitizeOps: false, sanitizeResources: false }, async (t) => {
  const dataDir = await freshDataDir();
  const db = await openDatabase({ dataDir });
  try {
    await runAccountsSuite(t, db);
  } finally {
    await db.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
