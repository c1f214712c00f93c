/**
 * `GET /api/export/training?format=sharegpt|openai|alpaca[&ids=<uuid>,…]`: the session owner's
 * conversations (the chosen ones, else all) as a JSON Lines fine-tuning file, streamed (see
 * `lib/transfer/training_export.ts`). Another owner's or an unknown id is 404 before anything is sent.
 */
import { conversationNotFound } from "../../../lib/chat/api.ts";
import type { AppState } from "../../../lib/services.ts";
import {
  foreignIds,
  TrainingExportQuery,
  trainingExportStream,
} from "../../../lib/transfer/training_export.ts";
import { HttpError } from "../../../lib/web/errors.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const parsed = TrainingExportQuery.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      throw new HttpError(400, "invalid_query", `${where}${issue.message}`);
    }
    const { db } = ctx.state.services;
    const owner = ctx.state.sessionId;
    if (parsed.data.ids && (await foreignIds(db.sql, owner, parsed.data.ids)).length > 0) {
      throw conversationNotFound();
    }
    const date = new Date().toISOString().slice(0, 10);
    return new Response(trainingExportStream(db, owner, parsed.data), {
      headers: {
        "content-type": "application/jsonl; charset=utf-8",
        "content-disposition": `attachment; filename="mini-claude-${parsed.data.format}-${date}.jsonl"`,
        "cache-control": "no-store",
      },
    });
  },
};
