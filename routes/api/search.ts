/**
 * `GET /api/search?q=&limit=`: the session's messages and conversation titles matching every word
 * of `q` as a prefix, best first, with highlighted snippets as text segments (see lib/db/search.ts).
 */
import { z } from "zod";
import { MAX_QUERY_CHARS } from "../../lib/db/mod.ts";
import type { AppState } from "../../lib/services.ts";
import { readQuery } from "../../lib/web/query.ts";
import type { Handlers } from "../../lib/web/types.ts";

/** Query parameters of `GET /api/search`. */
export const SearchQuery = z.object({
  q: z.string().max(MAX_QUERY_CHARS, `q is longer than ${MAX_QUERY_CHARS} characters`)
    .refine((s) => !s.includes("\u0000"), "q must not contain NUL (U+0000) characters"),
  limit: z.coerce.number().int("limit must be an integer").min(1).max(50).default(20),
});

export const handler: Handlers<AppState> = {
  async GET(_req, ctx) {
    const { q, limit } = readQuery(ctx.url, SearchQuery);
    const results = await ctx.state.services.db.searchConversations(ctx.state.sessionId, q, { limit });
    return Response.json({ query: q, results });
  },
};
