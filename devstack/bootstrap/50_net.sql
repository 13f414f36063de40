-- Platform bootstrap, part 5: pg_net's SQL interface, served by devstack's
-- worker instead of pg_net's background worker. Idempotent.
--
-- Objects and where they come from (supabase/pg_net sql/pg_net.sql, version
-- 0.20.4 per its Makefile):
--   schema net; domain net.http_method (get | post | delete, any case)
--   unlogged table net.http_request_queue(id bigserial, method net.http_method,
--   url text, headers jsonb, body bytea, timeout_milliseconds int)
--   unlogged table net._http_response(id bigint, status_code integer,
--   content_type text, headers jsonb, content text, timed_out bool,
--   error_msg text, created timestamptz default now()), index on (created)
--   net.http_get(url text, params jsonb default '{}', headers jsonb default '{}',
--   timeout_milliseconds int default 5000) returns bigint (the request id)
--   net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
--   headers jsonb default '{"Content-Type": "application/json"}',
--   timeout_milliseconds int default 5000) returns bigint; refuses a
--   Content-Type other than application/json; the body is queued as
--   convert_to(body::text, 'UTF8')
--   net.http_delete(url text, params jsonb default '{}', headers jsonb default '{}',
--   timeout_milliseconds int default 5000, body jsonb default null) returns bigint
--   net._urlencode_string(string varchar) returns text and
--   net._encode_url_with_params_array(url text, params_array text[]) returns text
--   (C functions in pg_net; SQL equivalents here), net.wake() (a no-op here)
--   types net.request_status, net.http_response, net.http_response_result
--   grants: usage on schema net and all on its tables and sequences to PUBLIC
--       (end of pg_net.sql)
--   http_get/http_post made SECURITY DEFINER with search_path = net, EXECUTE
--   revoked from PUBLIC and granted to postgres, anon, authenticated, service_role
--       supabase/postgres migrations/db/init-scripts/00000000000003-post-setup.sql
--       (extensions.grant_pg_net_access event trigger)
--   Not reproduced: net.http_collect_response, net._await_response,
--   net.worker_restart, net.check_worker_is_up and pg_net's settings.
--
-- devstack addition: the AFTER INSERT trigger http_request_queue_devstack_notify
-- runs pg_notify('devstack_net', NEW.id::text) (delivered at commit); devstack's
-- worker then performs the request, deletes it from the queue and writes
-- net._http_response with the same id, as pg_net does.

create schema if not exists net;

do $$
begin
    if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                   where n.nspname = 'net' and t.typname = 'http_method') then
        create domain net.http_method as text
            check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
    end if;
    if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                   where n.nspname = 'net' and t.typname = 'request_status') then
        create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
    end if;
    if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                   where n.nspname = 'net' and t.typname = 'http_response') then
        create type net.http_response as (status_code integer, headers jsonb, body text);
    end if;
    if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                   where n.nspname = 'net' and t.typname = 'http_response_result') then
        create type net.http_response_result as (status net.request_status, message text,
                                                 response net.http_response);
    end if;
end
$$;

create unlogged table if not exists net.http_request_queue (
    id bigserial,
    method net.http_method not null,
    url text not null,
    headers jsonb,
    body bytea,
    timeout_milliseconds int not null
);

create unlogged table if not exists net._http_response (
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out bool,
    error_msg text,
    created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- Percent-encodes everything but RFC 3986 unreserved characters, byte by byte.
create or replace function net._urlencode_string(string varchar)
returns text
language plpgsql
immutable
as $$
declare
    raw bytea := convert_to(string, 'UTF8');
    out text := '';
    b int;
begin
    for i in 0 .. length(raw) - 1 loop
        b := get_byte(raw, i);
        if (b between 48 and 57) or (b between 65 and 90) or (b between 97 and 122)
           or b in (45, 46, 95, 126) then
            out := out || chr(b);
        else
            out := out || '%' || upper(lpad(to_hex(b), 2, '0'));
        end if;
    end loop;
    return out;
end
$$;

create or replace function net._encode_url_with_params_array(url text, params_array text[])
returns text
language sql
immutable
as $$
    select case
        when coalesce(cardinality(params_array), 0) = 0 then url
        else url || case when position('?' in url) > 0 then '&' else '?' end
                 || array_to_string(params_array, '&')
    end
$$;

create or replace function net.wake()
returns void
language sql
as $$ select $$;

create or replace function net.http_get(
    url text,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{}'::jsonb,
    timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
begin
    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('GET', net._encode_url_with_params_array(url, params_array), headers, timeout_milliseconds)
    returning id into request_id;

    perform net.wake();
    return request_id;
end
$$;

create or replace function net.http_post(
    url text,
    body jsonb default '{}'::jsonb,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
    content_type text;
begin
    select header_value into content_type
    from jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
    where lower(header_name) = 'content-type'
    limit 1;

    if content_type is null then
        select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
    end if;

    if content_type <> 'application/json' then
        raise exception 'Content-Type header must be "application/json"';
    end if;

    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('POST', net._encode_url_with_params_array(url, params_array), headers,
            convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id into request_id;

    perform net.wake();
    return request_id;
end
$$;

create or replace function net.http_delete(
    url text,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{}'::jsonb,
    timeout_milliseconds int default 5000,
    body jsonb default null
)
returns bigint
language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
begin
    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('DELETE', net._encode_url_with_params_array(url, params_array), headers,
            convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id into request_id;

    perform net.wake();
    return request_id;
end
$$;

-- devstack only: wake devstack's HTTP worker at commit.
create or replace function net.devstack_notify_request()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform pg_notify('devstack_net', new.id::text);
    return null;
end;
$$;

create or replace trigger http_request_queue_devstack_notify
    after insert on net.http_request_queue
    for each row execute function net.devstack_notify_request();

grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;

-- As Supabase's grant_pg_net_access event trigger leaves them.
alter function net.http_get(text, jsonb, jsonb, integer) security definer;
alter function net.http_post(text, jsonb, jsonb, jsonb, integer) security definer;
alter function net.http_get(text, jsonb, jsonb, integer) set search_path = net;
alter function net.http_post(text, jsonb, jsonb, jsonb, integer) set search_path = net;
revoke all on function net.http_get(text, jsonb, jsonb, integer) from public;
revoke all on function net.http_post(text, jsonb, jsonb, jsonb, integer) from public;
grant execute on function net.http_get(text, jsonb, jsonb, integer) to postgres, anon, authenticated, service_role;
grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer) to postgres, anon, authenticated, service_role;
