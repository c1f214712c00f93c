-- Conversations are listed by latest activity. Timestamps can tie (PGlite's clock has millisecond
-- resolution, and two instances can write in the same microsecond), so the order comes from a
-- sequence instead: strictly increasing across sessions, connections and instances.
create sequence conversation_activity_seq;
alter table conversations add column activity bigint;
update conversations c set activity = o.n
  from (select id, row_number() over (order by updated_at, id) as n from conversations) o
  where c.id = o.id;
select setval('conversation_activity_seq', coalesce((select max(activity) from conversations), 0) + 1, false);
alter table conversations alter column activity set default nextval('conversation_activity_seq');
alter table conversations alter column activity set not null;
drop index conversations_owner_updated_idx;
create index conversations_owner_activity_idx on conversations (owner_id, activity desc);
