-- Resumable replies (docs/storage.md, "Resume protocol"). A reply is generated apart from the HTTP
-- request that started it, so a Stop from any tab or instance is a flag the generating process
-- reads on each save; heartbeat_at is refreshed every few seconds by that process, so a reply
-- whose process died is found (and marked 'error') within a minute instead of ten.
alter table messages add column stop_requested boolean not null default false;
alter table messages add column heartbeat_at timestamptz;
drop index if exists messages_streaming_idx;
create index messages_streaming_idx on messages (coalesce(heartbeat_at, updated_at)) where status = 'streaming';
