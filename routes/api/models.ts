/**
 * `GET /api/models`: every model the configured providers offer (each provider's list is cached by
 * the registry), the default first-choice id, and what each model reads besides text. Ids and labels
 * only: no key or base URL reaches the browser.
 */
import type { AppState } from "../../lib/services.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const chat = ctx.state.services.chat;
    const models = chat ? await chat.listModels() : [];
    const fallback = chat ? await chat.defaultModelInfo() : null;
    return Response.json({
      default: fallback?.id ?? null,
      models: models.map((m) => ({
        id: m.id,
        label: m.label,
        provider: m.provider,
        accepts: m.accepts ?? [],
      })),
    }, { headers: { "cache-control": "no-store" } });
  },
};
