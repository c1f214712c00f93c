/** `GET /api/voices`: the ElevenLabs voices (cached), or 501 without a key. */
import { perClientLimiter } from "../../lib/security/rate_limit.ts";
import type { AppState } from "../../lib/services.ts";
import { handleVoices } from "../../lib/voice/handlers.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  GET: (req, ctx) =>
    handleVoices(req, {
      sessionId: ctx.state.sessionId,
      voice: ctx.state.services.voice,
      limiter: perClientLimiter(ctx.state.services.limits.limiter, ctx.state.clientIp),
    }),
};
