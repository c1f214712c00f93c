/**
 * The chat pages (`/`, `/c/:id`) answered from the page cache when nothing they show has changed.
 *
 * The key names every input of the page: the owner, the owner's data version (migration 0011: it
 * changes with every committed write to the owner's conversations, folders, messages or
 * attachments, on any instance and by any code path), the path and query, the theme, the signed-in
 * account and the model situation. The version is read before the page's data, so a kept page is
 * never older than the version in its key; a write commits a new version, so the next request after
 * it (on any instance) misses and renders the new data. An owner without a row (a first visit) is
 * rendered without the cache.
 */
import { type AppState } from "../../lib/services.ts";
import { acceptsGzip } from "../../lib/web/page_cache.ts";
import type { RouteContext } from "../../lib/web/types.ts";
import { loadChatPage, modelInfo } from "./page_data.ts";
import type { ChatAppProps, ModelInfo } from "./types.ts";

/** Renders (or reuses) the chat page; a conversation that is not the owner's gets the 404 page. */
export async function renderChatPage(
  req: Request,
  ctx: RouteContext<AppState, ChatAppProps>,
  conversationId: string | null,
): Promise<Response> {
  const gzip = acceptsGzip(req.headers.get("accept-encoding"));
  const state = ctx.state;
  const { db, pages } = state.services;
  const version = await db.ownerDataVersion(state.sessionId);
  const model = await modelInfo(state);
  const key = version === null ? null : JSON.stringify([
    state.sessionId,
    version,
    ctx.url.pathname,
    ctx.url.search,
    state.theme ?? "",
    state.user ? [state.user.username, state.user.isAdmin] : null,
    modelKey(model),
  ]);
  const kept = key === null ? null : pages.get(key, gzip);
  if (kept) return kept;
  const data = await loadChatPage(state, ctx.url, conversationId, model);
  if (!data) return await ctx.renderNotFound();
  const res = await ctx.render(data);
  return key === null ? res : await pages.put(key, res, gzip);
}

/** The model situation as text for the key, once per {@link modelInfo} result (it is reused while it holds). */
function modelKey(model: ModelInfo): string {
  let key = modelKeys.get(model);
  if (key === undefined) modelKeys.set(model, key = JSON.stringify(model));
  return key;
}

const modelKeys = new WeakMap<ModelInfo, string>();
