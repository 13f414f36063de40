-- Platform bootstrap, part 0: roles, schema privileges, the extensions schema.
--
-- What a hosted Supabase project has before any user migration, so that
-- sql/migrations apply unchanged here and on Supabase. Idempotent; run as the
-- superuser `postgres` in database `postgres` on every devstack start.
--
-- Objects and where they come from (snapshots read with the fetch tool):
--   roles anon, authenticated (NOLOGIN), service_role (NOLOGIN BYPASSRLS)
--       supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql
--       (created NOINHERIT there; switched to INHERIT by
--       migrations/db/migrations/20230529180330_alter_api_roles_for_inherit.sql)
--   role authenticator (LOGIN NOINHERIT), granted anon, authenticated, service_role
--       same initial-schema file (supabase_admin is not reproduced here)
--   statement_timeout anon 3s, authenticated 8s
--       same initial-schema file
--   authenticator statement_timeout 8s, lock_timeout 8s
--       migrations/db/migrations/20221028101028_set_authenticator_timeout.sql,
--       20231130133139_set_lock_timeout_to_authenticator_role.sql
--   grant anon, authenticated, service_role to postgres
--       migrations/db/migrations/20230201083204_grant_auth_roles_to_postgres.sql
--   usage on schema public + default privileges (all on tables, functions,
--   sequences) for postgres, anon, authenticated, service_role
--       initial-schema file
--   schema extensions with uuid-ossp and pgcrypto, usage for the API roles,
--   postgres granted all with grant option
--       initial-schema file; 20230224042246_grant_extensions_perms_for_postgres.sql
--       (pgjwt is not installed: it is deprecated on Supabase and unused here)
--   publication supabase_realtime (empty)
--       initial-schema file
--   schema graphql_public (empty; exposed by PostgREST on Supabase, pg_graphql
--   itself is not provided)
--       20220317095840_pg_graphql.sql
--
-- Differences: `postgres` stays a superuser here (on Supabase it is demoted to
-- NOSUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS by
-- 10000000000000_demote-postgres.sql), so code that works here must not rely
-- on superuser powers; supabase_admin, dashboard_user and the service admin
-- roles are not created.

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then
        create role anon nologin inherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin inherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        create role service_role nologin inherit bypassrls;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
end
$$;

-- Re-assert the attributes in case an older bootstrap created them differently.
alter role anon nologin inherit;
alter role authenticated nologin inherit;
alter role service_role nologin inherit bypassrls;
alter role authenticator login noinherit;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;

create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;

do $$
begin
    if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$$;

create schema if not exists graphql_public;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;

-- Supabase sets these search paths for its administrative roles; sessions of
-- `postgres` find the pgcrypto functions without qualification.
alter role postgres set search_path to "$user", public, extensions;
