-- Page cache validation (issue 20): owners.data_version changes with every write to what the chat
-- pages show of an owner (conversations, folders, messages, attachments), on every instance, by
-- whatever code path wrote it. A server may reuse a page it rendered for the same owner and version
-- (lib/web/page_cache.ts); reading the version is one small statement instead of the page's queries.
-- Values come from one sequence, so a version is never reused, not even by an owner that expired
-- and came back: a page kept under an old version can never match again.
create sequence owner_data_version_seq;
alter table owners add column data_version bigint not null default nextval('owner_data_version_seq');

create function bump_owner_data_version() returns trigger language plpgsql as $$
declare
  changed record;
  owner_before text;
  owner_after text;
begin
  if tg_op = 'DELETE' then changed := old; else changed := new; end if;
  if tg_table_name = 'messages' then
    select c.owner_id into owner_after from conversations c where c.id = changed.conversation_id;
  else
    owner_after := changed.owner_id;
    -- A claim moves rows from an anonymous owner to an account's: both owners' pages change.
    if tg_op = 'UPDATE' then owner_before := old.owner_id; end if;
  end if;
  update owners set data_version = nextval('owner_data_version_seq')
  where id = owner_after or (owner_before is not null and id = owner_before);
  return null;
end
$$;

create trigger conversations_bump_owner_data_version after insert or update or delete on conversations
  for each row execute function bump_owner_data_version();
create trigger folders_bump_owner_data_version after insert or update or delete on folders
  for each row execute function bump_owner_data_version();
create trigger messages_bump_owner_data_version after insert or update or delete on messages
  for each row execute function bump_owner_data_version();
create trigger attachments_bump_owner_data_version after insert or update or delete on attachments
  for each row execute function bump_owner_data_version();
