-- Conversations become trees: each message has a parent (null for a root) in the same conversation,
-- and the conversation remembers the leaf it shows. Regenerate and edit add siblings; nothing is
-- deleted. seq stays the creation order (unique per conversation).

-- (conversation_id, id) is unique already (id is), but a composite foreign key needs the index.
create unique index messages_conversation_id_idx on messages (conversation_id, id);

alter table messages add column parent_id uuid;
-- A parent must be a message of the same conversation; deleting a message deletes its subtree.
-- MATCH SIMPLE (the default): a null parent_id (a root) is not checked.
alter table messages add constraint messages_parent_fk
  foreign key (conversation_id, parent_id) references messages (conversation_id, id) on delete cascade;
alter table messages add constraint messages_parent_not_self check (parent_id <> id);
-- Children of a node, in creation order (siblings, newest descendant, the "‹ 2 / 3 ›" counts).
create index messages_parent_idx on messages (conversation_id, parent_id, seq);

-- Not a foreign key: a cascade from conversations to messages back to conversations would update
-- the row being deleted. The store checks the leaf on read and falls back to the newest message.
alter table conversations add column current_leaf_id uuid;

-- Existing linear conversations: each message's parent is the message before it; the leaf is the last.
update messages m set parent_id = p.prev
  from (
    select id, lag(id) over (partition by conversation_id order by seq) as prev from messages
  ) p
  where m.id = p.id and p.prev is not null;
update conversations c set current_leaf_id = (
  select m.id from messages m where m.conversation_id = c.id order by m.seq desc limit 1
);
