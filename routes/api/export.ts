/**
 * `GET /api/export`: all of the session's folders and conversations (every branch) as one JSON
 * download in the export format, streamed page by page (see lib/transfer/export.ts).
 */
import type { AppState } from "../../lib/services.ts";
import { exportEverything } from "../../lib/transfer/export.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const { db } = ctx.state.services;
    // One query before answering, so an unreachable database is a 503 rather than a broken download.
    await db.exportFolders(ctx.state.sessionId);
    const day = new Date().toISOString().slice(0, 10);
    return new Response(exportEverything(db, ctx.state.sessionId), {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="mini-claude-export-${day}.json"`,
        "cache-control": "no-store",
      },
    });
  },
};
