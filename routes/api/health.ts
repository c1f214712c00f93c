/** `GET /api/health`: database, model and voice checks; 503 when the database is down. */
import { runHealthChecks } from "../../lib/health.ts";
import type { AppState } from "../../lib/services.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const report = await runHealthChecks(ctx.state.services.health);
    const status = report.checks.database?.ok === false ? 503 : 200;
    return Response.json(report, { status, headers: { "cache-control": "no-store" } });
  },
};
