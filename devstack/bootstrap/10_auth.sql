-- Platform bootstrap, part 1: the `auth` helper functions.
--
-- Only the request-claim helpers that RLS policies and functions use; the
-- GoTrue tables (auth.users, sessions, ...) are not created because nothing
-- in this project reads them. Idempotent.
--
-- Objects and where they come from:
--   schema auth, usage for anon, authenticated, service_role
--       supabase/postgres migrations/db/init-scripts/00000000000001-auth-schema.sql
--   auth.uid() returns uuid, auth.role() returns text, auth.email() returns text
--       (language sql stable; GUC request.jwt.claim.<x> first, then
--       request.jwt.claims ->> '<x>')
--       supabase/auth migrations/20220224000811_update_auth_functions.up.sql
--       and 20211202183645_update_auth_uid.up.sql
--   auth.jwt() returns jsonb (request.jwt.claim, else request.jwt.claims)
--       supabase/auth migrations/20220531120530_add_auth_jwt_function.up.sql
--   comments "Deprecated. Use auth.jwt() -> ..."
--       same file

create schema if not exists auth;
grant usage on schema auth to postgres, anon, authenticated, service_role;

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
