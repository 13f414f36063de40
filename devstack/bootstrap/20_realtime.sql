-- Platform bootstrap, part 2: the `realtime` schema objects the database side
-- of Supabase Realtime provides (broadcast from the database and the RLS
-- authorization of private channels). Idempotent.
--
-- Objects and where they come from (supabase/realtime, tenant migrations in
-- lib/realtime/tenants/repo/migrations/):
--   schema realtime, usage for postgres, anon, authenticated, service_role
--       20231204144023_set_required_grants.ex
--   realtime.messages(topic, extension, payload, event, private, updated_at,
--   inserted_at, id, binary_payload), primary key (id, inserted_at),
--   check messages_payload_exclusive, RLS enabled,
--   SELECT/INSERT/UPDATE for postgres, anon, authenticated, service_role
--       20240523004032_redefine_authorization_tables.ex,
--       20240919163303_add_payload_to_messages.ex,
--       20241030150047_messages_partitioning.ex,
--       20241108114728_messages_using_uuid.ex,
--       20260514120000_add_binary_payload_to_messages.ex
--       Difference: a plain table here. On Supabase it is partitioned by
--       range on inserted_at (daily partitions managed by Realtime, 72 h
--       retention). Queries and policies see the same columns either way.
--   owner supabase_realtime_admin
--   index messages_inserted_at_topic_index (inserted_at desc, topic)
--   where extension = 'broadcast' and private is true
--       20250905041441_create_messages_replay_index.ex
--   realtime.topic() returns text
--       20240523004032_redefine_authorization_tables.ex
--   realtime.send(payload jsonb, event text, topic text, private boolean default true) returns void
--   realtime.send_binary(payload bytea, event text, topic text, private boolean default true) returns void
--       20260605120000_rename_broadcast_send_warning.ex (current bodies:
--       payload.id added when absent, SET LOCAL realtime.topic, errors
--       turned into a WARNING)
--   realtime.broadcast_changes(topic_name text, event_name text, operation text,
--   table_name text, table_schema text, new record, old record,
--   level text default 'ROW') returns void
--       20240919163303_add_payload_to_messages.ex
--
-- devstack addition (not on Supabase, where Realtime reads the table through
-- logical replication instead): the AFTER INSERT trigger
-- realtime_messages_devstack_notify runs pg_notify('devstack_realtime',
-- NEW.id::text); notifications are delivered at commit, in commit order, and
-- devstack's Realtime server LISTENs and reads the row. Rows inserted by
-- Realtime's own authorization probes are rolled back and never notified.

create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;

create table if not exists realtime.messages (
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp without time zone not null default now(),
    inserted_at timestamp without time zone not null default now(),
    id uuid not null default gen_random_uuid(),
    binary_payload bytea,
    constraint messages_pkey primary key (id, inserted_at),
    constraint messages_payload_exclusive check (payload is null or binary_payload is null)
);

create index if not exists messages_inserted_at_topic_index
    on realtime.messages (inserted_at desc, topic)
    where extension = 'broadcast' and private is true;

alter table realtime.messages enable row level security;
grant usage on schema realtime to supabase_realtime_admin;
alter table realtime.messages owner to supabase_realtime_admin;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;
-- Lets postgres create policies on realtime.messages, as supautils'
-- policy_grants does on Supabase; 95_platform_guards.sql refuses anything
-- else a member of the owner could do.
grant supabase_realtime_admin to postgres;

create or replace function realtime.topic()
returns text
language sql stable
as $$
select nullif(current_setting('realtime.topic', true), '')::text;
$$;

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();

    -- Realtime delivers payload.id as the message id; keep the caller's own.
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;

    execute format('SET LOCAL realtime.topic TO %L', topic);

    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
begin
  begin
    generated_id := gen_random_uuid();

    execute format('SET LOCAL realtime.topic TO %L', topic);

    insert into realtime.messages (id, binary_payload, event, topic, private, extension)
    values (generated_id, payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(
    topic_name text,
    event_name text,
    operation text,
    table_name text,
    table_schema text,
    new record,
    old record,
    level text default 'ROW'
)
returns void
language plpgsql
as $$
declare
    row_data jsonb := '{}'::jsonb;
begin
    if level = 'STATEMENT' then
        raise exception 'function can only be triggered for each row, not for each statement';
    end if;
    if operation = 'INSERT' or operation = 'UPDATE' or operation = 'DELETE' then
        row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                                       'table', table_name, 'schema', table_schema);
        perform realtime.send(row_data, event_name, topic_name);
    else
        raise exception 'Unexpected operation type: %', operation;
    end if;
exception
    when others then
        raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;

-- devstack only: wake devstack's Realtime server at commit.
create or replace function realtime.devstack_notify_message()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform pg_notify('devstack_realtime', new.id::text);
    return null;
end;
$$;

create or replace trigger realtime_messages_devstack_notify
    after insert on realtime.messages
    for each row execute function realtime.devstack_notify_message();
