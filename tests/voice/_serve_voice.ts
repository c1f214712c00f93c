/**
 * Serves the voice handlers on a loopback port, as the app's routes will: `POST /api/tts`,
 * `GET /api/voices`, `POST /api/stt`. Used by client tests and the voice bench until the full
 * app exists.
 */
import { handleStt, handleTts, handleVoices, type VoiceContext } from "../../lib/voice/handlers.ts";

/** A running voice API server. */
export interface VoiceApiServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the voice API with `ctx` (one fixed session). */
export function serveVoiceApi(ctx: VoiceContext): VoiceApiServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/tts") return handleTts(req, ctx);
    if (path === "/api/voices") return handleVoices(req, ctx);
    if (path === "/api/stt") return handleStt(req, ctx);
    return new Response("not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    close: () => server.shutdown(),
  };
}
