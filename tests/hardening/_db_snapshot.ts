/** A fingerprint of the conversation data (rows and contents) to prove a request changed nothing. */
import type { Database } from "../../lib/db/mod.ts";

/** Counts and content hashes of owners, conversations and messages. */
export async function snapshot(db: Database): Promise<string> {
  const [row] = await db.sql`
    select
      (select count(*) from owners)::int as owners,
      (select count(*) from conversations)::int as conversations,
      (select count(*) from messages)::int as messages,
      md5(coalesce((select string_agg(
        id::text || '|' || title || '|' || system_prompt || '|' || coalesce(model, '') || '|' ||
        last_seq || '|' || updated_at::text, ',' order by id) from conversations), '')) as conversation_hash,
      md5(coalesce((select string_agg(
        id::text || '|' || seq || '|' || content || '|' || status || '|' || updated_at::text, ','
        order by id) from messages), '')) as message_hash`;
  return JSON.stringify(row);
}
