/**
 * LISTEN for reply notifications from other instances (`lib/db/replies.ts` sends them). Only on a
 * direct PostgreSQL connection: embedded PGlite serves one process (the in-process signal is
 * enough), and a transaction pooler such as Neon's `-pooler` endpoint does not deliver
 * notifications (followers poll the stored text there).
 */
import type postgres from "postgres";
import { REPLY_PROGRESS_CHANNEL, REPLY_STOP_CHANNEL } from "./replies.ts";

/** What to do when a notification arrives (payload: the message id). */
export interface ReplyListener {
  onProgress(messageId: string): void;
  onStop(messageId: string): void;
}

/**
 * Subscribes `listener` on `sql`'s dedicated LISTEN connection (postgres.js reconnects it and
 * re-issues LISTEN after an outage). Resolves with an unsubscribe function, or null when LISTEN
 * failed (the database is down at start: followers poll until it is back).
 */
export async function listenForReplies(
  sql: postgres.Sql,
  listener: ReplyListener,
): Promise<(() => Promise<void>) | null> {
  try {
    const subs = await Promise.all([
      sql.listen(REPLY_PROGRESS_CHANNEL, (id) => listener.onProgress(id)),
      sql.listen(REPLY_STOP_CHANNEL, (id) => listener.onStop(id)),
    ]);
    return async () => {
      await Promise.all(subs.map((s) => s.unlisten().catch(() => {})));
    };
  } catch {
    return null;
  }
}
