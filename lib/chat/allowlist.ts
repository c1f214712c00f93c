/**
 * The model-id allowlist of the HTTP API: a model id a client sends (conversation create/patch) or a
 * conversation carries (replies) must be one the server lists in `GET /api/models`; anything else
 * is a 400 `unknown_model`. The list is read first ({@link modelSnapshot}, which may ask a model
 * server) and the pick is pure ({@link pickAllowed}), so a reply can check its model while holding
 * the conversation's lock without waiting on the network.
 */
import type { AppState } from "../services.ts";
import { HttpError } from "../web/errors.ts";
import type { ListedModel } from "./registry.ts";

/** The models the server offers right now, and its default. */
export interface ModelSnapshot {
  models: readonly ListedModel[];
  fallback: ListedModel | null;
}

/** Every provider's (cached) models; empty without a provider. */
export async function modelSnapshot(state: AppState): Promise<ModelSnapshot> {
  const chat = state.services.chat;
  if (!chat) return { models: [], fallback: null };
  const models = await chat.listModels();
  return { models, fallback: chat.defaultIn(models) };
}

/**
 * The listed model for `model` (the default when null/undefined), or a 400 when none is listed
 * under that id. Null only when nothing is offered and none was asked for.
 */
export function pickAllowed(snapshot: ModelSnapshot, model: string | null | undefined): ListedModel | null {
  if (!model) return snapshot.fallback;
  const hit = snapshot.models.find((m) => m.id === model);
  if (!hit) throw unknownModel(model);
  return hit;
}

/** {@link pickAllowed} on a fresh {@link modelSnapshot}. */
export async function allowedModel(
  state: AppState,
  model: string | null | undefined,
): Promise<ListedModel | null> {
  return pickAllowed(await modelSnapshot(state), model);
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
