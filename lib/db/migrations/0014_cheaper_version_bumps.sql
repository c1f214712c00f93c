-- Cheaper owner data-version bumps (issue 20, first token on PGlite): migration 0012's one trigger
-- function served every table, so each call copied the whole row into a record and branched on the
-- table's name; on embedded PGlite, where the database runs on the app's own thread, the bump of a
-- reply start took 0.22 ms. Now each kind of table has its own function doing only its own work, with
-- the same outcome: an owner's version changes at least once in every transaction that writes what
-- its pages show, once per owner and transaction where 0012 bumped once, and both owners' versions
-- change when a row moves from one owner to another (a claim).
--
-- Besides `mini_claude.bumped_owner` (0012), a bump made for a conversation's row or one of its
-- messages remembers the conversation in `mini_claude.bumped_conversation`, so the messages a
-- transaction writes after touching their conversation (a reply start: the conversation's leaf, then
-- the user message and the reply) skip the owner lookup too. Both are transaction-local settings:
-- reverted with the transaction, and with a savepoint rolled back together with its bump.

-- Rows that carry their owner: conversations, folders, attachments.
create or replace function bump_owner_data_version_of_row() returns trigger language plpgsql as $$
declare
  owner text;
  conversation text;
begin
  if tg_op = 'DELETE' then owner := old.owner_id; else owner := new.owner_id; end if;
  if tg_table_name = 'conversations' then
    if tg_op = 'DELETE' then conversation := old.id; else conversation := new.id; end if;
  end if;
  if tg_op = 'UPDATE' and old.owner_id is distinct from new.owner_id then
    -- A claim: both owners' pages change, and neither bump is remembered (as in 0012).
    update owners set data_version = nextval('owner_data_version_seq')
    where id = old.owner_id or id = new.owner_id;
    return null;
  end if;
  if current_setting('mini_claude.bumped_owner', true) is distinct from owner then
    update owners set data_version = nextval('owner_data_version_seq') where id = owner;
    perform set_config('mini_claude.bumped_owner', owner, true);
  end if;
  if conversation is not null then
    perform set_config('mini_claude.bumped_conversation', conversation, true);
  end if;
  return null;
end
$$;

-- Messages: the owner is their conversation's.
create or replace function bump_owner_data_version_of_message() returns trigger language plpgsql as $$
declare
  conversation text;
  owner text;
begin
  if tg_op = 'DELETE' then conversation := old.conversation_id; else conversation := new.conversation_id; end if;
  if current_setting('mini_claude.bumped_conversation', true) = conversation then
    return null;
  end if;
  select c.owner_id into owner from conversations c where c.id = conversation::uuid;
  -- A conversation deleted in this transaction takes its messages with it (cascade): its own
  -- delete bumped its owner already.
  if owner is null then return null; end if;
  if current_setting('mini_claude.bumped_owner', true) is distinct from owner then
    update owners set data_version = nextval('owner_data_version_seq') where id = owner;
    perform set_config('mini_claude.bumped_owner', owner, true);
  end if;
  perform set_config('mini_claude.bumped_conversation', conversation, true);
  return null;
end
$$;

drop trigger conversations_bump_owner_data_version on conversations;
drop trigger folders_bump_owner_data_version on folders;
drop trigger messages_bump_owner_data_version on messages;
drop trigger attachments_bump_owner_data_version on attachments;

create trigger conversations_bump_owner_data_version after insert or update or delete on conversations
  for each row execute function bump_owner_data_version_of_row();
create trigger folders_bump_owner_data_version after insert or update or delete on folders
  for each row execute function bump_owner_data_version_of_row();
create trigger messages_bump_owner_data_version after insert or update or delete on messages
  for each row execute function bump_owner_data_version_of_message();
create trigger attachments_bump_owner_data_version after insert or update or delete on attachments
  for each row execute function bump_owner_data_version_of_row();

drop function bump_owner_data_version();
