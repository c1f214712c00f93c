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
import { readQuery } from "../../../lib/web/query.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const query = readQuery(ctx.url, TrainingExportQuery);
    const { db } = ctx.state.services;
    const owner = ctx.state.sessionId;
    if (query.ids && (await foreignIds(db.sql, owner, query.ids)).length > 0) {
      throw conversationNotFound();
    }
    const date = new Date().toISOString().slice(0, 10);
    return new Response(trainingExportStream(db, owner, query), {
      headers: {
        "content-type": "application/jsonl; charset=utf-8",
        "content-disposition": `attachment; filename="mini-claude-${query.format}-${date}.jsonl"`,
        "cache-control": "no-store",
      },
    });
  },
};
