-- Owner data versions told to the embedded engine's one session (issue 20, `GET /`): when an owner's
-- data_version changes (or the owner row appears or goes), `pg_notify` names the owner on the channel
-- `mini_claude_owner_version`, but only when the writing session itself listens on it. That is the
-- embedded PGlite case: one session, which the app's connection LISTENs on, and PostgreSQL delivers a
-- session's own notifications before it reports the commit, so the app forgets the owner's kept
-- version before any writer learns that its write is stored (lib/db/owner_versions.ts). On a
-- PostgreSQL server nobody listens in the writing session, so nothing is queued and each page request
-- keeps reading the version (other instances may write).
create function notify_owner_data_version() returns trigger language plpgsql as $$
declare
  owner_id text;
begin
  if not ('mini_claude_owner_version' = any (array(select pg_listening_channels()))) then
    return null;
  end if;
  -- A truncate removes every owner at once: the payload '*' means all of them.
  if tg_op = 'TRUNCATE' then owner_id := '*';
  elsif tg_op = 'DELETE' then owner_id := old.id;
  else owner_id := new.id;
  end if;
  perform pg_notify('mini_claude_owner_version', owner_id);
  return null;
end
$$;

create trigger owners_notify_data_version after insert or delete or update of data_version on owners
  for each row execute function notify_owner_data_version();

create trigger owners_notify_truncate after truncate on owners
  for each statement execute function notify_owner_data_version();
