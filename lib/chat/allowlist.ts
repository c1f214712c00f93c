/**
 * The model-id allowlist of the HTTP API: a model id a client sends (conversation create/patch) or a
 * conversation carries (replies) must be one the server lists in `GET /api/models`; anything else
 * is a 400 `unknown_model`. The list is read first ({@link modelSnapshot}, which may ask a model
 * server) and the pick is pure ({@link pickAllowed}), so a reply can check its model while holding
 * the conversation's lock without waiting on the network.
 */
import { HttpError } from "../http_error.ts";
import type { ChatProvider } from "./provider.ts";
import { type ListedModel, ProviderRegistry } from "./registry.ts";

/** The models the server offers right now, and its default. */
export interface ModelSnapshot {
  models: readonly ListedModel[];
  fallback: ListedModel | null;
}

/**
 * Every provider's (cached) models; empty without a provider. A bare provider (not a registry: unit
 * tests, scripts) has no allowlist: null.
 */
export async function modelSnapshot(chat: ChatProvider | null): Promise<ModelSnapshot | null> {
  if (!chat) return { models: [], fallback: null };
  if (!(chat instanceof ProviderRegistry)) return null;
  const models = await chat.listModels();
  return { models, fallback: chat.defaultIn(models) };
}

/**
 * The listed model for `model` (the default when null/undefined), or a 400 when none is listed
 * under that id. Null when nothing is offered and none was asked for, or without an allowlist.
 */
export function pickAllowed(
  snapshot: ModelSnapshot | null,
  model: string | null | undefined,
): ListedModel | null {
  if (!snapshot) return null;
  if (!model) return snapshot.fallback;
  const hit = snapshot.models.find((m) => m.id === model);
  if (!hit) throw unknownModel(model);
  return hit;
}

/** {@link pickAllowed} on a fresh {@link modelSnapshot} of the server's providers. */
export async function allowedModel(
  state: { services: { chat: ChatProvider | null } },
  model: string | null | undefined,
): Promise<ListedModel | null> {
  return pickAllowed(await modelSnapshot(state.services.chat), model);
}

function unknownModel(model: string): HttpError {
  return new HttpError(
    400,
    "unknown_model",
    `The model "${
      model.slice(0, 120)
    }" is not offered by this server: pick one listed in the conversation settings.`,
  );
}
