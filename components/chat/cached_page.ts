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
import { acceptedCodings } from "../../lib/web/accept_encoding.ts";
import { remembered } from "../../lib/remembered.ts";
import type { RouteContext } from "../../lib/web/types.ts";
import { loadChatPage, modelInfo } from "./page_data.ts";
import type { ChatAppProps, ModelInfo } from "./types.ts";

/** Renders (or reuses) the chat page; a conversation that is not the owner's gets the 404 page. */
export async function renderChatPage(
  req: Request,
  ctx: RouteContext<AppState, ChatAppProps>,
  conversationId: string | null,
): Promise<Response> {
  const codings = acceptedCodings(req.headers.get("accept-encoding"));
  const state = ctx.state;
  const { db, pages } = state.services;
  const version = await db.ownerDataVersion(state.sessionId);
  const model = await modelInfo(state);
  // Fields joined by newlines, which none can hold (a URL's path and query never do, the user is JSON).
  const key = version === null
    ? null
    : `${state.sessionId}\n${version}\n${ctx.url.pathname}\n${ctx.url.search}\n${state.theme ?? ""}\n${
      state.user ? JSON.stringify([state.user.username, state.user.isAdmin]) : ""
    }\n${modelKey(model)}`;
  const kept = key === null ? null : pages.get(key, codings);
  if (kept) return kept;
  const data = await loadChatPage(state, ctx.url, conversationId, model);
  if (!data) return await ctx.renderNotFound();
  const res = await ctx.render(data);
  return key === null ? res : await pages.put(key, res, codings);
}

/**
 * The model situation for the key: a number per distinct content (so a refreshed but equal model list
 * keeps the kept pages), looked up once per {@link modelInfo} result (it is reused while it holds).
 * Numbers are never reused, so forgetting the contents after {@link MAX_MODEL_KEYS} stays exact.
 */
function modelKey(model: ModelInfo): number {
  let key = modelKeys.get(model);
  if (key === undefined) modelKeys.set(model, key = modelKeyOf(JSON.stringify(model)));
  return key;
}

const MAX_MODEL_KEYS = 1000;
const modelKeys = new WeakMap<ModelInfo, number>();
let lastModelKey = 0;
const modelKeyOf = remembered(() => ++lastModelKey, MAX_MODEL_KEYS);
