-- Full-text search over message content and conversation titles (lib/db/search.ts). The 'simple'
-- configuration lowercases words without stemming, so prefix queries ("kube:*") behave the same in
-- every language. A reply is indexed once it stops streaming: while streaming, every appended chunk
-- would otherwise re-parse the whole text and touch the GIN index.
--
-- search_document() is the text both the index and the snippets (ts_headline) see: the default
-- parser drops anything that looks like an HTML tag or entity, which would hide code such as
-- `<div>` from search and from snippets, so '<' and '&' become the private-use characters U+E000
-- and U+E001 (mapped back in lib/db/search.ts); those two and the snippet marks U+0001/U+0002
-- already in the text are dropped.
create function search_document(t text) returns text
language sql immutable strict parallel safe
as $$ select translate(t, E'<&\uE000\uE001\x01\x02', E'\uE000\uE001') $$;

alter table messages add column search tsvector generated always as (
  case when status = 'streaming' then null else to_tsvector('simple', search_document(content)) end
) stored;
create index messages_search_idx on messages using gin (search);
alter table conversations add column title_search tsvector
  generated always as (to_tsvector('simple', search_document(title))) stored;
create index conversations_title_search_idx on conversations using gin (title_search);

-- Folders (projects) of an owner: a default system prompt and model for new conversations in them.
create table folders (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null references owners (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  system_prompt text not null default '',
  model text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, owner_id)
);
create index folders_owner_idx on folders (owner_id, created_at);

-- A conversation is in at most one folder of the same owner (the composite key makes another
-- owner's folder impossible); deleting the folder moves its conversations out, it does not delete them.
-- Giving a folder to another owner (claiming an anonymous session's data) carries its conversations.
alter table conversations add column folder_id uuid;
alter table conversations add constraint conversations_folder_fk foreign key (folder_id, owner_id)
  references folders (id, owner_id) on delete set null (folder_id) on update cascade;
create index conversations_folder_idx on conversations (folder_id, activity desc) where folder_id is not null;
alter table conversations add column pinned boolean not null default false;
alter table conversations add column archived boolean not null default false;

-- Imports: where a conversation came from ('chatgpt:<id>', 'open-webui:<id>', 'mini-claude:<id>'),
-- so importing the same export twice adds nothing the second time.
alter table conversations add column source text check (source is null or length(source) between 1 and 300);
create unique index conversations_owner_source_idx on conversations (owner_id, source) where source is not null;
