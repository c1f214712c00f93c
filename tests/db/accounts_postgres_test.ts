/** The accounts suite on a real PostgreSQL cluster (throwaway, loopback). */
import { openDatabase } from "../../lib/db/mod.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { runAccountsSuite } from "./accounts_suite.ts";

const ok = requireSuite("accounts-postgres", postgresMissing());

Deno.test(
  { name: "accounts on PostgreSQL", ignore: !ok, sanitizeOps: false, sanitizeResources: false },
  async (t) => {
    const cluster = await startPostgresCluster();
    const dataDir = await Deno.makeTempDir({ prefix: "mini-claude-pg-unused-" });
    const db = await openDatabase({ databaseUrl: cluster.url, dataDir, poolMax: 4 });
    try {
      await runAccountsSuite(t, db);
    } finally {
      await db.close();
      await cluster.destroy();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);
