/** `POST /api/stt` with an audio upload -> `{ text }` (ElevenLabs speech-to-text), or 501 without a key. */
import { perClientLimiter } from "../../lib/security/rate_limit.ts";
import type { AppState } from "../../lib/services.ts";
import { handleStt } from "../../lib/voice/handlers.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  POST: (req, ctx) =>
    handleStt(req, {
      sessionId: ctx.state.sessionId,
      voice: ctx.state.services.voice,
      limiter: perClientLimiter(ctx.state.services.limits.limiter, ctx.state.clientIp),
    }),
};
