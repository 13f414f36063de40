-- Platform bootstrap, part 0: roles, schema privileges, the extensions schema.
--
-- What a hosted Supabase project has before any user migration, so that
-- sql/migrations apply unchanged here and on Supabase. Idempotent; run as the
-- bootstrap superuser `supabase_admin` in database `postgres` on every
-- devstack start (on a database given with --db-url, as that URL's user).
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
--   role postgres NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS,
--   all on database postgres
--       migrations/db/migrations/10000000000000_demote-postgres.sql
--   default privileges of objects postgres creates in public: all to
--   postgres, anon, authenticated, service_role
--       initial-schema file (run as postgres before its demotion)
--   roles supabase_storage_admin, supabase_realtime_admin (owners of the
--   storage and realtime tables; supabase_auth_admin comes with 10_auth.sql)
--       00000000000002-storage-schema.sql and supabase/realtime's grants
--
-- Migrations, the seed and `DATABASE_URL` connect as `postgres`, so a
-- migration that needs superuser powers fails here as it would on Supabase.
-- Where Supabase's supautils extension lets `postgres` do something plain
-- PostgreSQL reserves for table owners (create RLS policies on
-- storage.objects, realtime.messages and the auth tables:
-- supautils.policy_grants in ansible/files/postgresql_config/
-- supautils.conf.j2), `postgres` is made a member of the owning role and the
-- event trigger in 95_platform_guards.sql refuses every other change to those
-- tables. Extensions supautils lets `postgres` create (pgtap, dblink,
-- plpgsql_check for the tests) are created here, in schema extensions, when
-- the server has them. dashboard_user and pgbouncer are not created.

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
    if not exists (select 1 from pg_roles where rolname = 'postgres') then
        create role postgres login;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'supabase_storage_admin') then
        create role supabase_storage_admin noinherit createrole login;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
        create role supabase_realtime_admin noinherit nologin;
    end if;
    -- Demote postgres, unless the bootstrap itself runs as postgres (a
    -- database given with --db-url), which must keep what it has.
    if current_user <> 'postgres' then
        alter role postgres nosuperuser createdb createrole login replication bypassrls;
        execute format('grant all on database %I to postgres', current_database());
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
grant create on schema public to postgres;
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;

create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
do $$
declare
    v_name text;
begin
    foreach v_name in array array['pgtap', 'dblink', 'plpgsql_check'] loop
        if exists (select 1 from pg_available_extensions where name = v_name) then
            execute format('create extension if not exists %I with schema extensions', v_name);
        end if;
    end loop;
    -- The cluster trusts loopback connections without a password, and
    -- dblink refuses such connections to non-superusers; the tests that
    -- open concurrent connections use the unchecked variant instead.
    if exists (select 1 from pg_extension where extname = 'dblink') then
        grant execute on function extensions.dblink_connect_u(text) to postgres;
        grant execute on function extensions.dblink_connect_u(text, text) to postgres;
    end if;
end
$$;
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
