/**
 * Replies left `streaming` by a process that died mid-stream (crash, kill -9, a database outage
 * longer than the final save's retries) are marked `error` once nothing has touched them for a
 * while, so a conversation never shows a reply "still streaming" forever. A live stream saves at
 * least every few hundred milliseconds while tokens arrive, so the threshold can be generous.
 */
import type { Queryable } from "./sql.ts";

/** Default age after which a `streaming` reply counts as abandoned, seconds. */
export const STALE_REPLY_SECONDS = 10 * 60;

/** Marks abandoned `streaming` replies as `error` (their text so far is kept); returns how many. */
export async function markStaleReplies(
  sql: Queryable,
  olderThanSeconds = STALE_REPLY_SECONDS,
): Promise<number> {
  const rows = await sql`
    update messages set status = 'error', updated_at = now()
    where status = 'streaming' and updated_at < now() - make_interval(secs => ${olderThanSeconds})
    returning id`;
  return rows.length;
}
