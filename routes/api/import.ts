/**
 * `POST /api/import`: the file as the raw request body (a ChatGPT `conversations.json`, an
 * open-webui chat export or a Mini-Claude export; up to `MAX_IMPORT_BYTES`). The upload is first
 * written to a private temporary file, so the database transaction never waits on the network;
 * then the answer streams as NDJSON: `{"type":"progress","bytes","totalBytes","conversations"}`
 * lines, then `{"type":"done","report"}` or `{"type":"error","error":{code,message}}` (nothing was
 * imported). A file that is visibly not JSON, or empty, is a 400 before any streaming.
 */
import { limitConversationChange } from "../../lib/security/conversation_limits.ts";
import type { AppState } from "../../lib/services.ts";
import { type FileShape, sniffShape } from "../../lib/transfer/import/read.ts";
import { importFile } from "../../lib/transfer/import/run.ts";
import { ImportFileError } from "../../lib/transfer/import/types.ts";
import { HttpError } from "../../lib/web/errors.ts";
import type { Handlers } from "../../lib/web/types.ts";

/** Least time between two progress lines (ms). */
const PROGRESS_EVERY_MS = 100;

export const handler: Handlers<AppState> = {
  async POST(req, ctx) {
    if (!req.body) throw new HttpError(400, "invalid_file", "Send the export file as the request body.");
    await limitConversationChange(ctx.state);
    const path = await Deno.makeTempFile({ prefix: "mini-claude-import-", suffix: ".json" });
    let shape: FileShape;
    let totalBytes: number;
    try {
      const file = await Deno.open(path, { write: true, truncate: true });
      await req.body.pipeTo(file.writable);
      totalBytes = (await Deno.stat(path)).size;
      const head = new Uint8Array(Math.min(totalBytes, 4096));
      const reader = await Deno.open(path);
      let n: number | null;
      try {
        n = await reader.read(head);
      } finally {
        reader.close();
      }
      shape = sniffShape(head.subarray(0, n ?? 0));
    } catch (error) {
      await Deno.remove(path).catch(() => {});
      if (error instanceof ImportFileError) throw new HttpError(400, error.code, error.message);
      throw error;
    }
    const { db } = ctx.state.services;
    const owner = ctx.state.sessionId;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (event: unknown) => {
          try {
            controller.enqueue(encoder.encode(JSON.stringify(event) + "\n"));
          } catch { /* the client went away; the import still completes */ }
        };
        let last = 0;
        try {
          const file = await Deno.open(path);
          const report = await importFile(db, owner, file.readable, shape, {
            onProgress: ({ bytes, conversations }) => {
              const now = performance.now();
              if (now - last < PROGRESS_EVERY_MS && bytes < totalBytes) return;
              last = now;
              send({ type: "progress", bytes, totalBytes, conversations });
            },
          });
          send({ type: "done", report });
        } catch (error) {
          const known = error instanceof ImportFileError;
          const code = known
            ? error.code
            : (error as { code?: unknown })?.code === "database_unavailable"
            ? "database_unavailable"
            : "import_failed";
          const message = known
            ? error.message
            : `The import failed and was rolled back: ${
              error instanceof Error ? error.message : String(error)
            }`;
          send({ type: "error", error: { code, message } });
        } finally {
          await Deno.remove(path).catch(() => {});
          try {
            controller.close();
          } catch { /* already cancelled */ }
        }
      },
    });
    return new Response(body, {
      headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" },
    });
  },
};
