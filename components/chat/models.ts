/** Model lookups the chat UI shares (header badge, settings, attachment checks). */
import type { ModelInfo, ModelOption } from "./types.ts";

/**
 * The model that answers a conversation whose stored model is `id`: that model when the server
 * lists it, the server's default when `id` is null. Null when neither is known.
 */
export function answeringModel(info: ModelInfo, id: string | null): ModelOption | null {
  const wanted = id ?? info.defaultId ?? null;
  if (wanted === null) return info.label ? { id: "", label: info.label } : null;
  return info.models.find((m) => m.id === wanted) ??
    (id === null && info.label ? { id: "", label: info.label } : null);
}

/** The label shown for the model that answers (`id` itself when the server no longer lists it). */
export function answeringLabel(info: ModelInfo, id: string | null): string | null {
  return answeringModel(info, id)?.label ?? id;
}
