-- Owners: one per browser session (the id comes from the signed session cookie).
create table owners (
  id text primary key check (length(id) between 1 and 200),
  created_at timestamptz not null default now()
);

-- Conversations of an owner. title_source: 'default' (placeholder), 'auto' (from the first user
-- message), 'custom' (set by the user; auto-titling stops). last_seq hands out message positions.
create table conversations (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null references owners (id) on delete cascade,
  title text not null default 'New conversation',
  title_source text not null default 'default' check (title_source in ('default', 'auto', 'custom')),
  system_prompt text not null default '',
  model text,
  last_seq integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index conversations_owner_updated_idx on conversations (owner_id, updated_at desc, id desc);

-- Messages in exact order: seq is unique and increasing within a conversation, so order never
-- depends on timestamps.
create table messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references conversations (id) on delete cascade,
  seq integer not null,
  role text not null check (role in ('user', 'assistant')),
  content text not null,
  status text not null default 'complete' check (status in ('complete', 'streaming', 'stopped', 'error')),
  prompt_tokens integer check (prompt_tokens >= 0),
  completion_tokens integer check (completion_tokens >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create unique index messages_conversation_seq_idx on messages (conversation_id, seq);
