-- One data-version bump per owner and transaction (issue 20, first-token overhead): starting a reply
-- writes three rows of one owner in one statement (the user message, the reply, the conversation's
-- leaf), and migration 0011's row triggers updated the owner's row three times. A version only has to
-- change once per transaction: nobody sees the transaction's writes before it commits, and after the
-- commit everyone sees the one new version. The transaction-local setting `mini_claude.bumped_owner`
-- remembers the owner already bumped in this transaction; it is reverted with the transaction (and
-- with a savepoint rolled back together with its bump), so a rolled-back bump is never assumed.
create or replace function bump_owner_data_version() returns trigger language plpgsql as $$
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
    if tg_op = 'UPDATE' and old.owner_id is distinct from new.owner_id then owner_before := old.owner_id; end if;
  end if;
  if owner_before is null and owner_after is not null
    and current_setting('mini_claude.bumped_owner', true) = owner_after then
    return null;
  end if;
  update owners set data_version = nextval('owner_data_version_seq')
  where id = owner_after or (owner_before is not null and id = owner_before);
  if owner_before is null and owner_after is not null then
    perform set_config('mini_claude.bumped_owner', owner_after, true);
  end if;
  return null;
end
$$;
