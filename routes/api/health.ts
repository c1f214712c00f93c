/**
 * `GET /api/health`: 200 `{ status: "ok" | "degraded" }`, 503 when the database is down. The model
 * and voice checks are cached (`HEALTH_CACHE_SECONDS`), so no request triggers a paid call of its
 * own. With `Authorization: Bearer <HEALTH_TOKEN>` the answer holds every check's details
 * (provider, latency, error); a wrong or unexpected token is 401. A signed-in admin (accounts mode)
 * gets the detailed answer without a token.
 */
import { publicHealth, runHealthChecks } from "../../lib/health.ts";
import { bearerMatches } from "../../lib/security/bearer.ts";
import type { AppState } from "../../lib/services.ts";
import { HttpError } from "../../lib/web/errors.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(req, ctx) {
    const authorization = req.headers.get("authorization");
    // A signed-in admin (AUTH_MODE=accounts) sees the details without a token.
    const admin = ctx.state.user?.isAdmin === true;
    const detailed = admin || authorization !== null;
    if (
      !admin && authorization !== null &&
      !await bearerMatches(authorization, ctx.state.services.config.healthToken)
    ) {
      throw new HttpError(401, "unauthorized", "A valid health token is needed for the detailed view", {
        "www-authenticate": 'Bearer realm="health"',
      });
    }
    const report = await runHealthChecks(ctx.state.services.health);
    const status = report.checks.database?.ok === false ? 503 : 200;
    const headers = { "cache-control": "no-store" };
    return Response.json(detailed ? report : publicHealth(report), { status, headers });
  },
};
