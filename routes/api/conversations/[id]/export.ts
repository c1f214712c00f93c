/**
 * `GET /api/conversations/:id/export?format=json|markdown`: one conversation as a download, JSON in
 * the export format (with every branch) or Markdown (the branch it shows). Another session's is 404.
 */
import { z } from "zod";
import { conversationNotFound } from "../../../../lib/chat/api.ts";
import type { AppState } from "../../../../lib/services.ts";
import { conversationDocument, conversationMarkdown, fileNameFor } from "../../../../lib/transfer/export.ts";
import { readQuery } from "../../../../lib/web/query.ts";
import type { Handlers } from "../../../../lib/web/types.ts";

const ExportQuery = z.object({ format: z.enum(["json", "markdown"]).default("json") });

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const { format } = readQuery(ctx.url, ExportQuery);
    const { db } = ctx.state.services;
    const [conversation] = await db.exportConversations(ctx.state.sessionId, {
      ids: [ctx.params.id],
      limit: 1,
    });
    if (!conversation) throw conversationNotFound();
    if (format === "markdown") {
      return new Response(conversationMarkdown(conversation), {
        headers: {
          "content-type": "text/markdown; charset=utf-8",
          "content-disposition": `attachment; filename="${fileNameFor(conversation.title, "md")}"`,
        },
      });
    }
    const folders = conversation.folderId ? await db.exportFolders(ctx.state.sessionId) : [];
    return new Response(conversationDocument(conversation, folders), {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="${fileNameFor(conversation.title, "json")}"`,
      },
    });
  },
};
