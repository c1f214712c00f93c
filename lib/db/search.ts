/**
 * Full-text search over one owner's conversation titles and message contents (migration 0007):
 * `tsvector` columns with GIN indexes, the `simple` configuration (no stemming, any language), and
 * prefix matching on every word so results appear while the user is still typing.
 *
 * Snippets come from `ts_headline` with control characters as highlight marks; they are returned
 * as segments (`{ text, mark }`), never as HTML, so the client renders them as text and nothing
 * in a message can become markup.
 */
import { InvalidInputError } from "./errors.ts";
import { isOwnerId } from "./ids.ts";
import type { MessageRole } from "./messages.ts";
import { iso, type Queryable } from "./sql.ts";
import { checkText } from "./text.ts";

/** A piece of highlighted text: `mark` is true for the words that matched. */
export interface Segment {
  text: string;
  mark: boolean;
}

/** One search result: a matching message, or a conversation whose title matched. */
export interface SearchHit {
  conversationId: string;
  /** The conversation's title, with matching words marked. */
  title: Segment[];
  /** The matching message; null when only the title matched. */
  messageId: string | null;
  role: MessageRole | null;
  /** Text around the matches (the message's, or the title's for a title hit). */
  snippet: Segment[];
  /** When the message (or, for a title hit, the conversation) was created. */
  createdAt: string;
  archived: boolean;
  folderId: string | null;
}

/** Options of {@link searchConversations}. */
export interface SearchOptions {
  /** At most this many results (1..50, default 20). */
  limit?: number;
}

/** Longest query accepted, in characters. */
export const MAX_QUERY_CHARS = 200;
/** At most this many words of a query are used. */
export const MAX_QUERY_TERMS = 8;

const START = "\u0001";
const STOP = "\u0002";
const HEADLINE_OPTIONS =
  `StartSel=${START}, StopSel=${STOP}, MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
const WHOLE_TEXT_OPTIONS = `StartSel=${START}, StopSel=${STOP}, HighlightAll=true`;
/** Messages up to this many characters are shown whole; longer ones as excerpts around the matches. */
export const WHOLE_SNIPPET_CHARS = 280;

/**
 * Turns what the user typed into a `to_tsquery` string: whitespace-separated words, each quoted
 * (so no operator syntax leaks through) and matched as a prefix, all required. Returns null when
 * nothing searchable remains (no letter or digit).
 */
export function prefixQuery(input: string): string | null {
  const words = input.split(/\s+/u).filter((w) => /[\p{L}\p{N}]/u.test(w)).slice(0, MAX_QUERY_TERMS);
  if (words.length === 0) return null;
  // Inside quotes only ' and \ are special to to_tsquery; the parser then splits each word the
  // way it split the indexed text ("e-mail", "example.com" and "3.14" stay comparable).
  return words.map((w) => `'${w.replace(/\\/g, "").replace(/'/g, "''")}':*`).join(" & ");
}

/**
 * The owner's messages and conversation titles matching `query` (every word as a prefix), best
 * match first, then newest. An empty or punctuation-only query finds nothing.
 */
export async function searchConversations(
  sql: Queryable,
  ownerId: string,
  query: string,
  options: SearchOptions = {},
): Promise<SearchHit[]> {
  checkText(query, "q");
  if ([...query].length > MAX_QUERY_CHARS) {
    throw new InvalidInputError(`q must be at most ${MAX_QUERY_CHARS} characters`);
  }
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
    throw new InvalidInputError("limit must be an integer from 1 to 50");
  }
  const tsquery = prefixQuery(query);
  if (!isOwnerId(ownerId) || tsquery === null) return [];
  // Rank and cut to `limit` first; ts_headline (which re-parses the whole text) runs only on
  // the rows returned.
  const rows = await sql`
    with q as (select to_tsquery('simple', ${tsquery}) as q),
    hits as (
      select * from (
        select m.id as message_id, m.conversation_id, m.role, m.created_at,
          ts_rank(m.search, q.q) as rank
        from q, messages m join conversations c on c.id = m.conversation_id
        where c.owner_id = ${ownerId} and m.search @@ q.q
        union all
        select null, c.id, null, c.created_at, ts_rank(c.title_search, q.q) * 2
        from q, conversations c
        where c.owner_id = ${ownerId} and c.title_search @@ q.q
      ) all_hits
      order by rank desc, created_at desc, message_id nulls first
      limit ${limit}
    )
    select h.message_id, h.conversation_id, h.role, h.created_at, c.archived, c.folder_id,
      ts_headline('simple', search_document(c.title), q.q, ${WHOLE_TEXT_OPTIONS}) as title_html,
      case when h.message_id is null then null
        when length(m.content) <= ${WHOLE_SNIPPET_CHARS}
          then ts_headline('simple', search_document(m.content), q.q, ${WHOLE_TEXT_OPTIONS})
        else ts_headline('simple', search_document(m.content), q.q, ${HEADLINE_OPTIONS}) end as snippet_html
    from hits h cross join q
    join conversations c on c.id = h.conversation_id
    left join messages m on m.id = h.message_id
    order by h.rank desc, h.created_at desc, h.message_id nulls first`;
  return rows.map((row) => {
    const title = toSegments(row.title_html as string);
    return {
      conversationId: row.conversation_id as string,
      title,
      messageId: (row.message_id as string | null) ?? null,
      role: (row.role as MessageRole | null) ?? null,
      snippet: row.snippet_html === null ? title : toSegments(row.snippet_html as string),
      createdAt: iso(row.created_at),
      archived: row.archived as boolean,
      folderId: (row.folder_id as string | null) ?? null,
    };
  });
}

/**
 * Splits `ts_headline` output (marks U+0001/U+0002, '<' and '&' as U+E000/U+E001, see
 * `search_document` in migration 0007) into text segments; adjacent pieces of the same kind merge.
 */
export function toSegments(headline: string): Segment[] {
  const text = headline.replaceAll("\uE000", "<").replaceAll("\uE001", "&");
  const segments: Segment[] = [];
  const push = (piece: string, mark: boolean) => {
    if (piece === "") return;
    const last = segments[segments.length - 1];
    if (last && last.mark === mark) last.text += piece;
    else segments.push({ text: piece, mark });
  };
  let mark = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== START && ch !== STOP) continue;
    push(text.slice(from, i), mark);
    mark = ch === START;
    from = i + 1;
  }
  push(text.slice(from), mark);
  return segments;
}
