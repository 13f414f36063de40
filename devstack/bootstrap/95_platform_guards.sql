-- Platform bootstrap, part 9: what `postgres` may not do to the platform's
-- tables. Idempotent.
--
-- On Supabase, postgres is not the owner of the auth, storage and realtime
-- tables; the supautils extension lets it create RLS policies on them
-- (supautils.policy_grants) and, since 2025-04-21, triggers on the auth
-- tables, and nothing else: no altering, dropping, indexing, or new tables
-- and functions in those schemas
-- (https://supabase.com/changelog/34270-restricting-access-on-auth-storage-and-realtime-schemas-on-april-21-2025).
-- devstack has no supautils, so postgres is a member of the owning roles
-- (10_auth, 20_realtime, 30_storage) and these event triggers refuse, for
-- sessions of postgres, every change in those schemas but policies, triggers
-- on auth tables, grants and comments. A migration that would fail there for
-- want of ownership fails here too, with the same SQLSTATE (42501).

create or replace function extensions.devstack_guard_platform_ddl()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
    v_command record;
begin
    if session_user <> 'postgres' then
        return;
    end if;
    for v_command in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
        if v_command.schema_name in ('auth', 'storage', 'realtime')
           and v_command.command_tag not in ('CREATE POLICY', 'ALTER POLICY', 'GRANT', 'REVOKE', 'COMMENT')
           and not (v_command.command_tag = 'CREATE TRIGGER' and v_command.schema_name = 'auth') then
            raise exception using
                errcode = '42501',
                message = format('must be owner of %s %s', v_command.object_type, v_command.object_identity),
                hint = 'On Supabase, postgres may only create policies here (and triggers on auth tables).';
        end if;
    end loop;
end;
$$;

create or replace function extensions.devstack_guard_platform_drop()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
    v_object record;
begin
    if session_user <> 'postgres' then
        return;
    end if;
    for v_object in select * from pg_catalog.pg_event_trigger_dropped_objects() loop
        if v_object.schema_name in ('auth', 'storage', 'realtime')
           and v_object.object_type not in ('policy', 'trigger')
           and not v_object.is_temporary then
            raise exception using
                errcode = '42501',
                message = format('must be owner of %s %s', v_object.object_type, v_object.object_identity);
        end if;
    end loop;
end;
$$;

revoke all on function extensions.devstack_guard_platform_ddl() from public;
revoke all on function extensions.devstack_guard_platform_drop() from public;

drop event trigger if exists devstack_guard_platform_ddl;
create event trigger devstack_guard_platform_ddl on ddl_command_end
    execute function extensions.devstack_guard_platform_ddl();
drop event trigger if exists devstack_guard_platform_drop;
create event trigger devstack_guard_platform_drop on sql_drop
    execute function extensions.devstack_guard_platform_drop();
