-- workflow-chat, migration 1: the private schema, its types and tables.
--
-- Everything lives in schema `workflow_chat`, which PostgREST does not
-- expose; clients reach it only through the `public.wc_*` functions of
-- 0008_api.sql. Tables grant nothing to anon/authenticated and have RLS
-- enabled as a second line of defence (policies in 0003_access.sql).

create schema workflow_chat;
comment on schema workflow_chat is
    'workflow-chat: tables and SECURITY DEFINER core functions (not exposed over REST).';

-- Nothing created in this schema is executable by default; every function is
-- granted explicitly to the roles that need it.
alter default privileges in schema workflow_chat revoke execute on functions from public;
revoke all on schema workflow_chat from public;

-- ===========================================================================
-- Types
-- ===========================================================================

create type workflow_chat.workflow_role as enum ('viewer', 'member', 'admin', 'owner');
comment on type workflow_chat.workflow_role is
    'Role of an account on a workflow; declaration order is the order of power.';

create type workflow_chat.message_kind as enum ('text', 'audio', 'file');

create type workflow_chat.token_origin as enum ('password', 'refresh', 'external');

create type workflow_chat.delivery_status as enum ('pending', 'sending', 'delivered', 'cancelled');

-- ===========================================================================
-- Shared trigger: updated_at
-- ===========================================================================

create function workflow_chat.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;
comment on function workflow_chat.touch_updated_at() is 'BEFORE UPDATE trigger keeping updated_at current.';

-- ===========================================================================
-- Attachment shape, shared by the table check and the API validation
-- ===========================================================================

create function workflow_chat.attachment_is_valid(p_attachment jsonb, p_kind workflow_chat.message_kind)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select p_attachment is not null
       and jsonb_typeof(p_attachment) = 'object'
       and (select count(*) from jsonb_object_keys(p_attachment) k
            where k not in ('path', 'file_name', 'mime_type', 'size_bytes', 'duration_ms')) = 0
       and jsonb_typeof(p_attachment -> 'path') = 'string'
       and (p_attachment ->> 'path') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[^/]+$'
       and char_length(p_attachment ->> 'path') <= 400
       and jsonb_typeof(p_attachment -> 'file_name') = 'string'
       and char_length(p_attachment ->> 'file_name') between 1 and 255
       and position('/' in p_attachment ->> 'file_name') = 0
       -- No control characters, and no bidirectional marks or overrides,
       -- which can make "gnp.exe" display as "exe.png".
       and (p_attachment ->> 'file_name') !~ '[\u0001-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]'
       and jsonb_typeof(p_attachment -> 'mime_type') = 'string'
       and (p_attachment ->> 'mime_type') ~ '^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*( *;.*)?$'
       and (p_attachment ->> 'mime_type') !~ '[\u0001-\u001F\u007F-\u009F]'
       and char_length(p_attachment ->> 'mime_type') <= 200
       and jsonb_typeof(p_attachment -> 'size_bytes') = 'number'
       and (p_attachment ->> 'size_bytes') ~ '^[0-9]+$'
       and (p_attachment ->> 'size_bytes')::numeric between 1 and 26214400
       and case p_kind
             when 'audio' then
                  (p_attachment ->> 'mime_type') like 'audio/%'
                  and jsonb_typeof(p_attachment -> 'duration_ms') = 'number'
                  and (p_attachment ->> 'duration_ms') ~ '^[0-9]+$'
                  and (p_attachment ->> 'duration_ms')::numeric between 0 and 86400000
             when 'file' then
                  coalesce(jsonb_typeof(p_attachment -> 'duration_ms'), 'null') = 'null'
             else false
           end
$$;
comment on function workflow_chat.attachment_is_valid(jsonb, workflow_chat.message_kind) is
    'True when an attachment object has exactly the documented shape for the message kind.';

-- ===========================================================================
-- Identity
-- ===========================================================================

create table workflow_chat.account (
    id uuid primary key default gen_random_uuid(),
    email text unique
        check (email = lower(email) and char_length(email) between 3 and 254
               and email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    password_hash text check (password_hash is null or char_length(password_hash) <= 200),
    external_id text unique check (char_length(external_id) between 1 and 200),
    disabled_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint account_has_identity check (email is not null or external_id is not null),
    constraint account_password_needs_email check (password_hash is null or email is not null)
);
comment on table workflow_chat.account is
    'An identity: an email with a bcrypt password, and/or an external id given by a host site.';

create table workflow_chat.userprofile (
    account_id uuid primary key references workflow_chat.account (id) on delete cascade,
    display_name text not null check (char_length(display_name) between 1 and 100
                                      and display_name = btrim(display_name)),
    avatar_url text check (avatar_url is null
                           or (char_length(avatar_url) <= 2000 and avatar_url ~ '^https?://')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
comment on table workflow_chat.userprofile is 'What other members see of an account.';

create table workflow_chat.auth_tokens (
    jti uuid primary key,
    account_id uuid not null references workflow_chat.account (id) on delete cascade,
    origin workflow_chat.token_origin not null,
    issued_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz,
    last_used_at timestamptz,
    user_agent text check (char_length(user_agent) <= 500),
    address text check (char_length(address) <= 100),
    constraint auth_tokens_expiry_after_issue check (expires_at > issued_at)
);
create index auth_tokens_account_idx on workflow_chat.auth_tokens (account_id, issued_at desc);
comment on table workflow_chat.auth_tokens is
    'Every issued JWT by its jti. A token is accepted only while its row exists, is unexpired and unrevoked '
    '(revoked_at in the future means a scheduled revocation, used by refresh).';

create table workflow_chat.login_attempt (
    id bigint generated always as identity primary key,
    email text not null check (char_length(email) <= 254),
    address text check (char_length(address) <= 100),
    attempted_at timestamptz not null default now()
);
create index login_attempt_email_idx on workflow_chat.login_attempt (email, attempted_at);
create index login_attempt_address_idx on workflow_chat.login_attempt (address, attempted_at)
    where address is not null;
comment on table workflow_chat.login_attempt is 'Failed logins, for throttling per email and per client address.';

-- ===========================================================================
-- Workflows and access
-- ===========================================================================

create table workflow_chat.workflow (
    id uuid primary key default gen_random_uuid(),
    name text not null check (char_length(name) between 1 and 200 and name = btrim(name)),
    description text not null default '' check (char_length(description) <= 2000),
    webhook_url text check (char_length(webhook_url) <= 2000 and webhook_url ~ '^https?://[^[:space:]]+$'),
    webhook_secret text check (char_length(webhook_secret) between 16 and 200),
    created_by uuid references workflow_chat.account (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint workflow_webhook_needs_secret check (webhook_url is null or webhook_secret is not null)
);
create index workflow_created_by_idx on workflow_chat.workflow (created_by);
comment on table workflow_chat.workflow is 'A group of chat sessions with its own members and optional webhook.';

create table workflow_chat.workflow_access (
    workflow_id uuid not null references workflow_chat.workflow (id) on delete cascade,
    account_id uuid not null references workflow_chat.account (id) on delete cascade,
    role workflow_chat.workflow_role not null,
    added_by uuid references workflow_chat.account (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (workflow_id, account_id)
);
create index workflow_access_account_idx on workflow_chat.workflow_access (account_id);
create index workflow_access_added_by_idx on workflow_chat.workflow_access (added_by);
comment on table workflow_chat.workflow_access is 'Role of each member on a workflow.';

-- ===========================================================================
-- Chat
-- ===========================================================================

create table workflow_chat.chat_session (
    id uuid primary key default gen_random_uuid(),
    workflow_id uuid not null references workflow_chat.workflow (id) on delete cascade,
    title text not null check (char_length(title) between 1 and 200 and title = btrim(title)),
    metadata jsonb not null default '{}'
        check (jsonb_typeof(metadata) = 'object' and octet_length(metadata::text) <= 8192),
    created_by uuid references workflow_chat.account (id) on delete set null,
    last_seq bigint not null default 0 check (last_seq >= 0),
    last_activity_at timestamptz not null default now(),
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index chat_session_workflow_activity_idx
    on workflow_chat.chat_session (workflow_id, last_activity_at desc, id desc);
create index chat_session_created_by_idx on workflow_chat.chat_session (created_by);
comment on table workflow_chat.chat_session is
    'A conversation. last_seq is the seq of its newest message; the row lock serialises sends.';

create table workflow_chat.chat_message (
    id uuid primary key default gen_random_uuid(),
    session_id uuid not null references workflow_chat.chat_session (id) on delete cascade,
    seq bigint not null check (seq > 0),
    client_id uuid not null,
    author_id uuid references workflow_chat.account (id) on delete set null,
    kind workflow_chat.message_kind not null,
    body text check (char_length(body) <= 10000),
    attachment jsonb,
    reply_to_id uuid references workflow_chat.chat_message (id) on delete set null,
    created_at timestamptz not null default now(),
    edited_at timestamptz,
    deleted_at timestamptz,
    updated_at timestamptz not null default now(),
    constraint chat_message_seq_key unique (session_id, seq),
    constraint chat_message_client_id_key unique (session_id, client_id),
    constraint chat_message_content check (
        deleted_at is not null
        or (kind = 'text' and attachment is null and body is not null and btrim(body) <> '')
        or (kind in ('audio', 'file') and workflow_chat.attachment_is_valid(attachment, kind))
    ),
    constraint chat_message_deleted_is_empty check (
        deleted_at is null or (body is null and attachment is null)
    )
);
create index chat_message_author_idx on workflow_chat.chat_message (author_id);
create index chat_message_reply_to_idx on workflow_chat.chat_message (reply_to_id);
comment on table workflow_chat.chat_message is
    'Messages; seq is gapless per session. Deleted messages keep their row with body and attachment cleared.';

create table workflow_chat.chat_reaction (
    message_id uuid not null references workflow_chat.chat_message (id) on delete cascade,
    account_id uuid not null references workflow_chat.account (id) on delete cascade,
    emoji text not null check (char_length(emoji) between 1 and 32 and emoji !~ '[[:space:]]'),
    created_at timestamptz not null default now(),
    primary key (message_id, account_id, emoji)
);
create index chat_reaction_account_idx on workflow_chat.chat_reaction (account_id);
comment on table workflow_chat.chat_reaction is 'One row per (message, account, emoji).';

create table workflow_chat.chat_read_state (
    session_id uuid not null references workflow_chat.chat_session (id) on delete cascade,
    account_id uuid not null references workflow_chat.account (id) on delete cascade,
    last_read_seq bigint not null default 0 check (last_read_seq >= 0),
    read_at timestamptz not null default now(),
    primary key (session_id, account_id)
);
create index chat_read_state_account_idx on workflow_chat.chat_read_state (account_id);
comment on table workflow_chat.chat_read_state is 'How far each account has read each session.';

-- ===========================================================================
-- Webhook deliveries
-- ===========================================================================

create table workflow_chat.webhook_delivery (
    id uuid primary key default gen_random_uuid(),
    workflow_id uuid not null references workflow_chat.workflow (id) on delete cascade,
    event text not null check (event in ('message.created', 'message.updated', 'message.deleted',
                                         'session.created', 'session.updated')),
    url text not null,
    payload jsonb not null,
    status workflow_chat.delivery_status not null default 'pending',
    attempts integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz not null default now(),
    last_request_id bigint,
    last_sent_at timestamptz,
    last_status_code integer,
    last_error text check (char_length(last_error) <= 500),
    delivered_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index webhook_delivery_workflow_idx
    on workflow_chat.webhook_delivery (workflow_id, created_at desc, id desc);
create index webhook_delivery_due_idx
    on workflow_chat.webhook_delivery (next_attempt_at) where status = 'pending';
create index webhook_delivery_sending_idx
    on workflow_chat.webhook_delivery (last_sent_at) where status = 'sending';
comment on table workflow_chat.webhook_delivery is
    'One row per webhook event: the signed body, its attempts and outcome (the delivery log).';

-- ===========================================================================
-- updated_at triggers, RLS
-- ===========================================================================

create trigger account_touch before update on workflow_chat.account
    for each row execute function workflow_chat.touch_updated_at();
create trigger userprofile_touch before update on workflow_chat.userprofile
    for each row execute function workflow_chat.touch_updated_at();
create trigger workflow_touch before update on workflow_chat.workflow
    for each row execute function workflow_chat.touch_updated_at();
create trigger workflow_access_touch before update on workflow_chat.workflow_access
    for each row execute function workflow_chat.touch_updated_at();
create trigger chat_session_touch before update on workflow_chat.chat_session
    for each row execute function workflow_chat.touch_updated_at();
create trigger chat_message_touch before update on workflow_chat.chat_message
    for each row execute function workflow_chat.touch_updated_at();
create trigger webhook_delivery_touch before update on workflow_chat.webhook_delivery
    for each row execute function workflow_chat.touch_updated_at();

alter table workflow_chat.account enable row level security;
alter table workflow_chat.userprofile enable row level security;
alter table workflow_chat.auth_tokens enable row level security;
alter table workflow_chat.login_attempt enable row level security;
alter table workflow_chat.workflow enable row level security;
alter table workflow_chat.workflow_access enable row level security;
alter table workflow_chat.chat_session enable row level security;
alter table workflow_chat.chat_message enable row level security;
alter table workflow_chat.chat_reaction enable row level security;
alter table workflow_chat.chat_read_state enable row level security;
alter table workflow_chat.webhook_delivery enable row level security;

revoke all on all tables in schema workflow_chat from public, anon, authenticated, service_role;
revoke all on function workflow_chat.touch_updated_at() from public;
revoke all on function workflow_chat.attachment_is_valid(jsonb, workflow_chat.message_kind) from public;
