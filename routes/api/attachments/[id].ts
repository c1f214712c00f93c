/**
 * `GET /api/attachments/:id`: the file's bytes with its checked type (images inline, PDFs as a
 * download), for the owner only (404 otherwise). `DELETE`: removes an upload not sent yet (204).
 */
import { deleteUnsent, getAttachment } from "../../../lib/db/attachments.ts";
import type { AppState } from "../../../lib/services.ts";
import { HttpError } from "../../../lib/web/errors.ts";
import type { Handlers } from "../../../lib/web/types.ts";

const notFound = () => new HttpError(404, "not_found", "Attachment not found");

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const file = await getAttachment(ctx.state.services.db.sql, ctx.state.sessionId, ctx.params.id);
    if (!file) throw notFound();
    const disposition = file.mimeType === "application/pdf" ? "attachment" : "inline";
    return new Response(file.data as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": file.mimeType,
        "content-length": String(file.sizeBytes),
        "content-disposition": `${disposition}; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        "x-content-type-options": "nosniff",
        "cache-control": "private, max-age=3600, immutable",
      },
    });
  },
  async DELETE(_req, ctx) {
    const deleted = await deleteUnsent(ctx.state.services.db.sql, ctx.state.sessionId, ctx.params.id);
    if (!deleted) throw notFound();
    return new Response(null, { status: 204 });
  },
};
