-- Files attached to user messages (images and PDFs), kept in the database as bytea. An upload
-- belongs to its owner and has no message until it is sent with one; deleting the message (or
-- its conversation, or the owner) deletes its files.
create table attachments (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null references owners (id) on delete cascade,
  message_id uuid references messages (id) on delete cascade,
  name text not null check (length(name) between 1 and 255),
  mime_type text not null
    check (mime_type in ('image/png', 'image/jpeg', 'image/webp', 'image/gif', 'application/pdf')),
  size_bytes integer not null check (size_bytes > 0),
  data bytea not null,
  created_at timestamptz not null default now(),
  check (octet_length(data) = size_bytes)
);

create index attachments_message_idx on attachments (message_id) where message_id is not null;
create index attachments_owner_unsent_idx on attachments (owner_id, created_at) where message_id is null;
