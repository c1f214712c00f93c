/**
 * `POST /api/attachments`: upload one image (PNG, JPEG, WebP, GIF) or PDF, as multipart `file` or raw
 * bytes. 201 `{ id, name, mimeType, size }`; the id is then sent with a message (`attachmentIds`).
 * Type by magic bytes, size capped (413), at most `maxUnsent` uploads waiting per owner (429).
 */
import { attachmentLimits } from "../../../lib/attachments/limits.ts";
import { readUpload } from "../../../lib/attachments/upload.ts";
import { countUnsent, deleteStaleUnsent, insertAttachment } from "../../../lib/db/attachments.ts";
import type { AppState } from "../../../lib/services.ts";
import { HttpError } from "../../../lib/web/errors.ts";
import type { Handlers } from "../../../lib/web/types.ts";

/** Unsent uploads older than this are deleted when the owner uploads again. */
const UNSENT_MAX_AGE_MS = 24 * 60 * 60_000;

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    const limits = attachmentLimits(ctx.state);
    const upload = await readUpload(req, ctx.url, limits);
    const { db } = ctx.state.services;
    await db.ensureOwner(ctx.state.sessionId);
    await deleteStaleUnsent(db.sql, ctx.state.sessionId, UNSENT_MAX_AGE_MS);
    if (await countUnsent(db.sql, ctx.state.sessionId) >= limits.maxUnsent) {
      throw new HttpError(
        429,
        "too_many_uploads",
        `At most ${limits.maxUnsent} files may wait to be sent: send or remove some first.`,
        { "retry-after": "60" },
      );
    }
    const saved = await insertAttachment(db.sql, ctx.state.sessionId, upload);
    return Response.json(
      { id: saved.id, name: saved.name, mimeType: saved.mimeType, size: saved.sizeBytes },
      { status: 201 },
    );
  },
};
