-- Accounts (AUTH_MODE=accounts). A user owns exactly one owner row ('user:<uuid>'), so every
-- conversation query stays scoped by owner_id. Deleting the owner deletes the user, their sessions
-- and their conversations by cascade. Per-user limits live on that owner row (the daily token limit
-- is owners.daily_token_limit, migration 0009), and the row is created with owners.anonymous = false
-- so the anonymous-owner expiry never touches it.
create table users (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null unique references owners (id) on delete cascade,
  -- Shown as typed; unique without regard to case.
  username text not null check (length(username) between 1 and 64),
  -- argon2id in PHC format; null for accounts that only sign in through OIDC.
  password_hash text,
  oidc_issuer text,
  oidc_subject text,
  is_admin boolean not null default false,
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  password_changed_at timestamptz
);

create unique index users_username_idx on users (lower(username));
create unique index users_oidc_idx on users (oidc_issuer, oidc_subject) where oidc_subject is not null;

-- Server-side sign-in sessions. The browser holds a random token; only its SHA-256 is stored, so a
-- leaked table does not let anyone sign in. Revoking is deleting the row.
create table auth_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  token_hash text not null unique check (length(token_hash) = 64),
  user_agent text not null default '' check (length(user_agent) <= 300),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create index auth_sessions_user_idx on auth_sessions (user_id, last_seen_at desc);
create index auth_sessions_expires_idx on auth_sessions (expires_at);

-- Settings an admin changes at run time (one row per key; a missing row means the environment's value).
create table auth_settings (
  key text primary key check (key in ('registration')),
  value text not null,
  updated_at timestamptz not null default now()
);

-- Invitations for REGISTRATION=invite: the code is shown once; only its SHA-256 is stored.
create table invites (
  code_hash text primary key check (length(code_hash) = 64),
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_by uuid references users (id) on delete set null,
  used_at timestamptz
);
