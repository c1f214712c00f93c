-- Rate limits shared by every app instance: one token bucket per key (e.g. 'msg:<session>',
-- 'msg_ip:<address>'). A take is one upsert that refills the bucket for the time elapsed since
-- updated_at, then charges last_cost if enough tokens are there (allowed) or charges nothing.
-- The policy (capacity, refill rate) travels with each take, so changing it needs no migration.
create table rate_limits (
  key text primary key check (length(key) between 1 and 300),
  tokens double precision not null,
  capacity double precision not null check (capacity > 0),
  refill_per_second double precision not null check (refill_per_second > 0),
  last_cost double precision not null check (last_cost >= 0),
  allowed boolean not null,
  updated_at timestamptz not null default clock_timestamp()
);

-- Tokens in a bucket at time "at" that held "tokens" at time "since": refilled, capped at capacity.
create function rate_limit_refill(
  tokens double precision,
  capacity double precision,
  refill_per_second double precision,
  since timestamptz,
  at timestamptz
) returns double precision
language sql immutable
as $$
  select least(capacity, tokens + greatest(0, extract(epoch from (at - since))::double precision) * refill_per_second)
$$;

-- Finds replies left 'streaming' by a process that died mid-stream (lib/db/stale_replies.ts);
-- partial, so it only holds the few rows streaming at any moment.
create index messages_streaming_idx on messages (updated_at) where status = 'streaming';
