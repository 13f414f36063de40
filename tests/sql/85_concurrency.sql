-- seq under concurrency: four connections (dblink) send 25 messages each into
-- one session at the same time, each send its own transaction. seq must come
-- out gapless (1..100, no duplicates) and in commit order: a fifth connection
-- LISTENs on devstack_realtime, whose notifications arrive in commit order,
-- and the message_created events it hears must carry increasing seq.
--
-- Other connections only see committed data, so this file commits its fixture
-- (a uniquely named workflow and accounts) through dblink and deletes it at
-- the end; its own transaction is rolled back as usual.
begin;
\ir helpers/caller.psql
create extension if not exists dblink with schema extensions;
select plan(9);

create temp table conn as
select format('dbname=%s user=postgres host=%s port=%s', current_database(),
              coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)),
              current_setting('port')) as dsn,
       replace(gen_random_uuid()::text, '-', '') as tag;

-- Fixture, committed: one owner and four members with tokens.
select dblink_connect_u('setup', (select dsn from conn));
create temp table fx (k text primary key, v jsonb);
insert into fx
select 'owner', t from dblink('setup', format(
    $$select workflow_chat.register('own-%s@example.test', 'password-owner', 'Owner')$$, (select tag from conn)))
    as r(t jsonb);
insert into fx
select 'sender' || g, t from generate_series(1, 4) g,
     dblink('setup', format($$select workflow_chat.register('s%s-%s@example.test', 'password-sender', 'Sender %s')$$,
                            g, (select tag from conn), g)) as r(t jsonb);

-- A DO block run at top level on another connection, acting as a token
-- holder; it may COMMIT between statements.
create function pg_temp.as_holder(p_token jsonb, p_body text) returns text language sql as $f$
    select format($d$do $do$ begin
        perform set_config('request.jwt.claims', %L, true);
        perform set_config('role', 'authenticated', true);
        %s
    end $do$$d$, tests.claims_of(p_token ->> 'access_token'), p_body)
$f$;

select dblink_exec('setup', pg_temp.as_holder((select v from fx where k = 'owner'), format($s$
    perform public.wc_create_session(
        (public.wc_create_workflow('concurrency-%s') ->> 'id')::uuid, 'race');
    $s$, (select tag from conn))));
insert into fx select 'workflow', to_jsonb(id::text) from workflow_chat.workflow
where name = 'concurrency-' || (select tag from conn);
insert into fx select 'session', to_jsonb(id::text) from workflow_chat.chat_session
where workflow_id = (select v #>> '{}' from fx where k = 'workflow')::uuid;
select dblink_exec('setup', pg_temp.as_holder((select v from fx where k = 'owner'), format($s$
    perform public.wc_add_member(%L, email, 'member') from unnest(%L::text[]) email;
    $s$, (select v #>> '{}' from fx where k = 'workflow'),
         (select array_agg(v -> 'account' ->> 'email') from fx where k like 'sender%'))));

-- Listen, then send from four connections at once, one transaction per send.
select dblink_connect_u('listener', (select dsn from conn));
select dblink_exec('listener', 'listen devstack_realtime');
select dblink_connect_u('sender' || g, (select dsn from conn)) from generate_series(1, 4) g;
select dblink_send_query('sender' || g, format($q$do $do$ begin
        for i in 1 .. 25 loop
            perform set_config('request.jwt.claims', %L, true);
            perform set_config('role', 'authenticated', true);
            perform public.wc_send_message(%L, gen_random_uuid(), 'text', 'from %s #' || i);
            commit;
        end loop;
    end $do$$q$,
    tests.claims_of((select v from fx where k = 'sender' || g) ->> 'access_token'),
    (select v #>> '{}' from fx where k = 'session'), g))
from generate_series(1, 4) g;
select count(*) from generate_series(1, 4) g,
       lateral dblink_get_result('sender' || g, false) as r(x text);
select pg_sleep(0.5);
create temp table heard as
select n, (m.payload ->> 'seq')::bigint as seq
from dblink_get_notify('listener') with ordinality as t(notify_name, be_pid, extra, n)
join realtime.messages m on m.id = t.extra::uuid
where m.event = 'message_created' and m.topic = 'chat:' || (select v #>> '{}' from fx where k = 'session');

select is((select count(*)::int from workflow_chat.chat_message
           where session_id = (select v #>> '{}' from fx where k = 'session')::uuid), 100, '100 messages were stored');
select is((select array_agg(seq order by seq) from workflow_chat.chat_message
           where session_id = (select v #>> '{}' from fx where k = 'session')::uuid),
          (select array_agg(g::bigint) from generate_series(1, 100) g), 'seq is exactly 1..100: gapless, no duplicates');
select is((select count(distinct author_id)::int from workflow_chat.chat_message
           where session_id = (select v #>> '{}' from fx where k = 'session')::uuid), 4, 'from four concurrent connections');
select is((select count(*)::int from heard), 100, 'the listener heard every message_created');
select is((select array_agg(seq order by n) from heard), (select array_agg(g::bigint) from generate_series(1, 100) g),
          'commit order equals seq order');

select diag((select count(*) from (select author_id, lag(author_id) over (order by seq) prev from workflow_chat.chat_message where session_id = (select v #>> '{}' from fx where k = 'session')::uuid) x where author_id <> prev) || ' author switches along seq');

-- Idempotent send under a race: connection A sends client_id X and holds its
-- transaction open; connection B retries the same client_id meanwhile (as a
-- client whose first request timed out would). B must wait for A and then
-- return A's message instead of inserting a second one.
create temp table race as select gen_random_uuid() as client_id;
select dblink_connect_u(c, (select dsn from conn)) from unnest(array['race_a', 'race_b']) c;
select dblink_exec('race_a', 'begin');
select count(*) from dblink('race_a', format($q$select set_config('request.jwt.claims', %L, true),
                                                     set_config('role', 'authenticated', true)$q$,
                                            tests.claims_of((select v from fx where k = 'sender1') ->> 'access_token')))
                     as r(claims text, role text);
select count(*) from dblink('race_a', format($q$select public.wc_send_message(%L, %L, 'text', 'first try')::text$q$,
                                            (select v #>> '{}' from fx where k = 'session'), (select client_id from race)))
                     as r(message text);
select dblink_send_query('race_b', pg_temp.as_holder((select v from fx where k = 'sender1'), format($s$
    perform public.wc_send_message(%L, %L, 'text', 'retry');
    $s$, (select v #>> '{}' from fx where k = 'session'), (select client_id from race))));
select pg_sleep(0.3);
select is(dblink_is_busy('race_b'), 1, 'the retry waits for the first send''s transaction');
select dblink_exec('race_a', 'commit');
select count(*) from dblink_get_result('race_b') as r(x text);
select is((select array_agg(body) from workflow_chat.chat_message
           where session_id = (select v #>> '{}' from fx where k = 'session')::uuid
             and client_id = (select client_id from race)), array['first try'],
          'one message for the client_id, the first one');
select is((select last_seq from workflow_chat.chat_session where id = (select v #>> '{}' from fx where k = 'session')::uuid),
          101::bigint, 'the retry assigned no seq');
select is((select count(*)::int from realtime.messages
           where topic = 'chat:' || (select v #>> '{}' from fx where k = 'session') and event = 'message_created'
             and payload ->> 'client_id' = (select client_id from race)::text), 1,
          'and published it once');

-- Clean up what was committed.
select dblink_exec('setup', format($$delete from workflow_chat.workflow where id = %L$$,
                                   (select v #>> '{}' from fx where k = 'workflow')));
select dblink_exec('setup', format($$delete from realtime.messages where topic in ('chat:%s', 'workflow:%s')$$,
                                   (select v #>> '{}' from fx where k = 'session'), (select v #>> '{}' from fx where k = 'workflow')));
select dblink_exec('setup', format($$delete from workflow_chat.account where email like '%%-%s@example.test'$$,
                                   (select tag from conn)));
select dblink_disconnect(c) from unnest(dblink_get_connections()) c;

select * from finish();
rollback;
