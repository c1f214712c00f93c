/**
 * The model-id allowlist of the HTTP API: a model id a client sends (conversation create/patch) or a
 * conversation carries (replies) must be one the server lists in `GET /api/models`; anything else
 * is a 400 `unknown_model`.
 */
import type { AppState } from "../services.ts";
import { HttpError } from "../web/errors.ts";
import { type ListedModel, UnknownModelError } from "./registry.ts";

/**
 * The listed model for `model` (the server's default when null/undefined), or a 400 when no
 * provider lists it. Null only when the server has no model at all and none was asked for.
 */
export async function allowedModel(
  state: AppState,
  model: string | null | undefined,
): Promise<ListedModel | null> {
  const chat = state.services.chat;
  if (!chat) {
    if (model) throw unknownModel(model);
    return null;
  }
  try {
    return (await chat.resolve(model))?.model ?? null;
  } catch (e) {
    if (e instanceof UnknownModelError) throw unknownModel(model ?? "");
    throw e;
  }
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
