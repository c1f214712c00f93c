-- Cost and abuse controls (issue 13): daily token budgets per owner and the expiry of abandoned
-- anonymous owners.
--
-- owners.daily_token_limit: this owner's budget of reply tokens per UTC day; null = the server's
--   DAILY_TOKEN_BUDGET. Set it with setDailyTokenLimit() in lib/db/token_usage.ts (admin page).
-- owners.anonymous: true for an owner that is only a browser session. Owners that belong to a user
--   account must be set to false (markOwnerPermanent() in lib/db/owner_expiry.ts): the expiry sweep
--   only ever deletes anonymous owners.
-- owners.last_active_at: last time the owner used the app (touched at most hourly per instance).
alter table owners
  add column daily_token_limit bigint check (daily_token_limit is null or daily_token_limit >= 0),
  add column anonymous boolean not null default true,
  add column last_active_at timestamptz not null default now();

-- The partial index serves the expiry sweep, which only looks at anonymous owners.
create index owners_anonymous_active_idx on owners (last_active_at) where anonymous;

-- Tokens charged per owner per UTC day (prompt + completion of every reply, as the provider
-- reported them or estimated). One row per owner and day; old days are pruned by the sweep.
create table token_usage (
  owner_id text not null references owners (id) on delete cascade,
  day date not null,
  tokens bigint not null default 0 check (tokens >= 0),
  primary key (owner_id, day)
);
