/**
 * The message tree of a conversation: the path from the root to the current leaf (what the UI
 * shows and the model reads), the siblings of a message (its other versions), and switching the
 * shown branch. The current leaf is stored on the conversation, so a reload or another tab shows
 * the same branch. All lookups are owner-scoped: another owner's or an unknown id reads as null.
 */
import { isOwnerId, isUuid } from "./ids.ts";
import { type Message, messageColumns, messageFromRow } from "./messages.ts";
import type { Queryable, Transactional } from "./sql.ts";
import { inTransaction } from "./sql.ts";

/** A message on the current path, with its versions (itself included) for "‹ 2 / 3 ›". */
export interface PathMessage extends Message {
  /** Ids of the messages sharing this one's parent, this one included, oldest first. */
  siblingIds: string[];
}

/**
 * The messages from the root to the current leaf, oldest first, each with its sibling ids. Empty
 * for an empty conversation; null when the conversation is not the owner's.
 */
export async function currentPath(
  sql: Queryable,
  ownerId: string,
  conversationId: string,
): Promise<PathMessage[] | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId)) return null;
  const rows = await sql`
    select current_leaf_id from conversations where id = ${conversationId} and owner_id = ${ownerId}`;
  if (rows.length === 0) return null;
  return await pathTo(sql, conversationId, (rows[0].current_leaf_id as string | null) ?? null);
}

/**
 * The path from the root to `messageId` (whatever the current leaf is), with sibling ids. Null when
 * the conversation is not the owner's or the message is not one of its messages.
 */
export async function messagePath(
  sql: Queryable,
  ownerId: string,
  conversationId: string,
  messageId: string,
): Promise<PathMessage[] | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId) || !isUuid(messageId)) return null;
  const found = await sql`
    select 1 from conversations c join messages m on m.conversation_id = c.id
    where c.id = ${conversationId} and c.owner_id = ${ownerId} and m.id = ${messageId}`;
  if (found.length === 0) return null;
  return await pathTo(sql, conversationId, messageId);
}

/**
 * The path from the root to `leafId`, with sibling ids. A null or unknown leaf (not a message of
 * this conversation) reads as the newest message.
 *
 * Two index scans instead of a recursive query: the tree's shape (id, parent, in seq order) is read
 * whole and walked here, then only the path's rows are fetched. Measured in `bench/db.bench.ts`: a
 * recursive CTE with a sibling subquery per row was several times slower on both engines.
 */
export async function pathTo(
  sql: Queryable,
  conversationId: string,
  leafId: string | null,
): Promise<PathMessage[]> {
  const shape = await sql`
    select id, parent_id from messages where conversation_id = ${conversationId} order by seq`;
  if (shape.length === 0) return [];
  const parentOf = new Map<string, string | null>();
  const childrenOf = new Map<string | null, string[]>();
  for (const row of shape) {
    const id = row.id as string;
    const parent = (row.parent_id as string | null) ?? null;
    parentOf.set(id, parent);
    const children = childrenOf.get(parent);
    if (children) children.push(id);
    else childrenOf.set(parent, [id]);
  }
  const ids: string[] = [];
  let at: string | null = leafId !== null && parentOf.has(leafId) ? leafId : shape.at(-1)!.id as string;
  // The schema has no cycle check across rows; the bound keeps a corrupted tree from looping forever.
  while (at !== null && ids.length < shape.length) {
    ids.push(at);
    at = parentOf.get(at) ?? null;
  }
  ids.reverse();
  const rows = await sql`select ${messageColumns(sql)} from messages where id in ${sql(ids)}`;
  const byId = new Map(rows.map((row) => [row.id as string, row]));
  return ids.map((id) => ({
    ...messageFromRow(byId.get(id)!),
    siblingIds: childrenOf.get(parentOf.get(id) ?? null)!,
  }));
}

/**
 * The messages sharing `messageId`'s parent (its versions), itself included, oldest first. Null
 * when the conversation is not the owner's or the message is not in it.
 */
export async function listSiblings(
  sql: Queryable,
  ownerId: string,
  conversationId: string,
  messageId: string,
): Promise<Message[] | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId) || !isUuid(messageId)) return null;
  const rows = await sql`
    select ${messageColumns(sql)} from (
      select s.* from conversations c
        join messages m on m.conversation_id = c.id and m.id = ${messageId}
        join messages s on s.conversation_id = c.id
          and (s.parent_id = m.parent_id or (m.parent_id is null and s.parent_id is null))
      where c.id = ${conversationId} and c.owner_id = ${ownerId}
    ) siblings
    order by seq`;
  return rows.length === 0 ? null : rows.map(messageFromRow);
}

/**
 * Shows the branch through `messageId`: the current leaf becomes the newest message of its
 * subtree (itself when it has no replies yet), which is where that branch was last extended. The
 * choice is stored. Returns the new path, or null when the conversation is not the owner's or the
 * message is not in it.
 */
export function switchBranch(
  sql: Transactional,
  ownerId: string,
  conversationId: string,
  messageId: string,
): Promise<PathMessage[] | null> {
  if (!isOwnerId(ownerId) || !isUuid(conversationId) || !isUuid(messageId)) return Promise.resolve(null);
  return inTransaction(sql, async (tx) => {
    const owned = await tx`
      select 1 from conversations c join messages m on m.conversation_id = c.id
      where c.id = ${conversationId} and c.owner_id = ${ownerId} and m.id = ${messageId}
      for update of c`;
    if (owned.length === 0) return null;
    // Children always come after their parent, so the newest descendant is a leaf.
    const [leaf] = await tx`
      with recursive sub as (
        select id, seq from messages where id = ${messageId}
        union all
        select m.id, m.seq from messages m join sub on m.parent_id = sub.id
          where m.conversation_id = ${conversationId}
      )
      select id from sub order by seq desc limit 1`;
    await tx`update conversations set current_leaf_id = ${leaf.id} where id = ${conversationId}`;
    return await pathTo(tx, conversationId, leaf.id as string);
  });
}
