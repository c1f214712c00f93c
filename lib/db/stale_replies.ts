/**
 * Replies left `streaming` by a process that died mid-stream (crash, kill -9, a database outage
 * longer than the final save's retries) are marked `error` once their heartbeat is older than a
 * threshold, so a conversation never shows a reply "still streaming" forever and the UI can offer
 * Retry. The generating process refreshes `heartbeat_at` every few seconds (`lib/chat/reply.ts`),
 * so the threshold only has to cover a few missed beats.
 */
import type { Queryable } from "./sql.ts";

/** Default age of the last heartbeat after which a `streaming` reply counts as abandoned, seconds. */
export const STALE_REPLY_SECONDS = 30;

/** Marks abandoned `streaming` replies as `error` (their text so far is kept); returns how many. */
export async function markStaleReplies(
  sql: Queryable,
  olderThanSeconds = STALE_REPLY_SECONDS,
): Promise<number> {
  const rows = await sql`
    with u as (
      update messages set status = 'error', updated_at = now()
      where status = 'streaming'
        and coalesce(heartbeat_at, updated_at) < now() - make_interval(secs => ${olderThanSeconds})
      returning id
    )
    select u.id, pg_notify('mc_reply_progress', u.id::text) from u`;
  return rows.length;
}
