-- Platform bootstrap, part 1: Supabase Auth's schema.
--
-- The tables GoTrue keeps its users, identities, sessions and refresh
-- tokens in, with the columns applications read and reference, and the
-- request-claim helpers that RLS policies and functions use. devstack's Auth
-- service (devstack/src/auth/) works on these tables as GoTrue does, as the
-- role `supabase_auth_admin` that owns them, so triggers a project puts on
-- auth.users run as they would on Supabase. Idempotent.
--
-- Objects and where they come from:
--   schema auth, usage for anon, authenticated, service_role
--       supabase/postgres migrations/db/init-scripts/00000000000001-auth-schema.sql
--   role supabase_auth_admin (owner of the auth tables)
--       same file
--   auth.users, auth.identities, auth.sessions, auth.refresh_tokens and the
--   type auth.aal_level, in their current shape: the sum of supabase/auth
--   migrations 00_init_auth_schema, 20210710035447 .. 20240214120130 (email
--   change, phone, confirmed_at generated, banned_until, deleted_at,
--   is_sso_user with the partial unique index on email, is_anonymous),
--   20220811173540_add_sessions_table, 20221003041400 (aal, factor_id),
--   20221114143122 (not_after), 20231027141322 (refreshed_at, user_agent,
--   ip), 20231114161723 (tag), 20251007112900 (refresh_token_hmac_key,
--   refresh_token_counter), 20221215195800 (identities.email generated),
--   20231117164230 (identities.id primary key, unique provider_id+provider).
--   Tables GoTrue has but a chat never touches (MFA, SSO, SAML, flow state,
--   OAuth clients, one-time tokens, audit log) are not created.
--   row level security on every auth table, select with grant option and
--   all privileges for postgres
--       supabase/auth migrations/20240612123726_enable_rls_update_grants.up.sql,
--       supabase/postgres migrations/db/migrations/20211115181400_update-auth-permissions.sql
--   auth.uid() returns uuid, auth.role() returns text, auth.email() returns text
--       (language sql stable; GUC request.jwt.claim.<x> first, then
--       request.jwt.claims ->> '<x>')
--       supabase/auth migrations/20220224000811_update_auth_functions.up.sql
--       and 20211202183645_update_auth_uid.up.sql
--   auth.jwt() returns jsonb (request.jwt.claim, else request.jwt.claims)
--       supabase/auth migrations/20220531120530_add_auth_jwt_function.up.sql
--   comments "Deprecated. Use auth.jwt() -> ..."
--       same file

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
        create role supabase_auth_admin noinherit createrole login;
    end if;
end
$$;

create schema if not exists auth;
alter schema auth owner to supabase_auth_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role;

-- ===========================================================================
-- Tables
-- ===========================================================================

do $$
begin
    if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                   where n.nspname = 'auth' and t.typname = 'aal_level') then
        create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
    end if;
end
$$;

create table if not exists auth.users (
    instance_id uuid null,
    id uuid not null primary key,
    aud varchar(255) null,
    "role" varchar(255) null,
    email varchar(255) null,
    encrypted_password varchar(255) null,
    email_confirmed_at timestamptz null,
    invited_at timestamptz null,
    confirmation_token varchar(255) null,
    confirmation_sent_at timestamptz null,
    recovery_token varchar(255) null,
    recovery_sent_at timestamptz null,
    email_change_token_new varchar(255) null,
    email_change varchar(255) null,
    email_change_sent_at timestamptz null,
    last_sign_in_at timestamptz null,
    raw_app_meta_data jsonb null,
    raw_user_meta_data jsonb null,
    is_super_admin bool null,
    created_at timestamptz null,
    updated_at timestamptz null,
    phone text null unique default null,
    phone_confirmed_at timestamptz null,
    phone_change text null default '',
    phone_change_token varchar(255) null default '',
    phone_change_sent_at timestamptz null,
    confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) null default '',
    email_change_confirm_status smallint null default 0
        check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
    banned_until timestamptz null,
    reauthentication_token varchar(255) null default '',
    reauthentication_sent_at timestamptz null,
    is_sso_user boolean not null default false,
    deleted_at timestamptz null,
    is_anonymous boolean not null default false
);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is
    'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);

create table if not exists auth.identities (
    provider_id text not null,
    user_id uuid not null references auth.users (id) on delete cascade,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamptz null,
    created_at timestamptz null,
    updated_at timestamptz null,
    email text generated always as (lower(identity_data ->> 'email')) stored,
    id uuid not null default gen_random_uuid() primary key,
    constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
comment on table auth.identities is 'Auth: Stores identities associated to a user.';
comment on column auth.identities.email is
    'Auth: Email is a generated column that references the optional email property in the identity_data';
create index if not exists identities_user_id_idx on auth.identities (user_id);
create index if not exists identities_email_idx on auth.identities (email text_pattern_ops);

create table if not exists auth.sessions (
    id uuid not null primary key,
    user_id uuid not null references auth.users (id) on delete cascade,
    created_at timestamptz null,
    updated_at timestamptz null,
    factor_id uuid null,
    aal auth.aal_level null,
    not_after timestamptz null,
    refreshed_at timestamp without time zone null,
    user_agent text null,
    ip inet null,
    tag text null,
    refresh_token_hmac_key text null,
    refresh_token_counter bigint null
);
comment on table auth.sessions is 'Auth: Stores session data associated to a user.';
comment on column auth.sessions.not_after is
    'Auth: Not after is a nullable column that contains a timestamp after which the session should be regarded as expired.';
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
create index if not exists user_id_created_at_idx on auth.sessions (user_id, created_at);
create index if not exists sessions_not_after_idx on auth.sessions (not_after desc);

create table if not exists auth.refresh_tokens (
    instance_id uuid null,
    id bigserial not null primary key,
    "token" varchar(255) null,
    user_id varchar(255) null,
    revoked bool null,
    created_at timestamptz null,
    updated_at timestamptz null,
    parent varchar(255) null,
    session_id uuid null references auth.sessions (id) on delete cascade,
    constraint refresh_tokens_token_unique unique ("token")
);
comment on table auth.refresh_tokens is 'Auth: Store of tokens used to refresh JWT tokens once they expire.';
create index if not exists refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index if not exists refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists refresh_tokens_updated_at_idx on auth.refresh_tokens (updated_at desc);

alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter sequence auth.refresh_tokens_id_seq owner to supabase_auth_admin;
alter type auth.aal_level owner to supabase_auth_admin;

alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;

grant all on auth.users, auth.identities, auth.sessions, auth.refresh_tokens to postgres;
grant select on auth.users, auth.identities, auth.sessions, auth.refresh_tokens
    to postgres with grant option;
grant all on sequence auth.refresh_tokens_id_seq to postgres;
-- Lets postgres create policies on the auth tables, as supautils'
-- policy_grants does on Supabase; 95_platform_guards.sql refuses anything
-- else a member of the owner could do.
grant supabase_auth_admin to postgres;

-- ===========================================================================
-- Request-claim helpers
-- ===========================================================================

create or replace function auth.uid()
returns uuid
language sql stable
as $$
  select
  nullif(
    coalesce(
      current_setting('request.jwt.claim.sub', true),
      (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')
    ),
    ''
  )::uuid
$$;

create or replace function auth.role()
returns text
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email()
returns text
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
    to postgres, anon, authenticated, service_role;
