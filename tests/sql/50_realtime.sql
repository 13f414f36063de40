-- Realtime: the realtime.messages rows each change produces (private
-- broadcasts on chat:<session> and workflow:<workflow>, payload = the API's
-- JSON), and the RLS on realtime.messages that authorizes private channels
-- (chat:, typing: and workflow: topics, per role and extension),
-- probed the way Supabase Realtime does it: rows inserted by a privileged
-- connection, then SELECT (read) and INSERT (write) as the user with
-- realtime.topic set.
begin;
\ir helpers/caller.psql
select plan(41);

select tests.new_account('olga'), tests.new_account('mia'), tests.new_account('vic'), tests.new_account('eve');
create temp table fx (k text primary key, v uuid);
grant all on fx to public;
create function pg_temp.fx(p_k text) returns uuid language sql as $$ select v from fx where k = p_k $$;
create temp table sent (k text primary key, j jsonb);
grant all on sent to public;

select tests.act_as('olga');
insert into fx select 'wf', (public.wc_create_workflow('RT') ->> 'id')::uuid;
select public.wc_add_member(pg_temp.fx('wf'), 'mia@example.test', 'member');
select public.wc_add_member(pg_temp.fx('wf'), 'vic@example.test', 'viewer');

-- Rows per change ------------------------------------------------------------
create function pg_temp.events() returns table (topic text, event text, payload jsonb, private boolean)
language sql as $$ select topic, event, payload, private from realtime.messages order by inserted_at, topic $$;

select tests.act_as_postgres();
delete from realtime.messages;
select tests.act_as('olga');
insert into sent select 'session', public.wc_create_session(pg_temp.fx('wf'), 'Live');
insert into fx select 's', ((select j from sent where k = 'session') ->> 'id')::uuid;
select tests.act_as_postgres();
select is((select count(*)::int from realtime.messages), 1, 'create_session: one row');
select is((select event from realtime.messages where topic = 'workflow:' || pg_temp.fx('wf')), 'session_created',
          'create_session: session_created on the workflow topic');
select is((select payload from realtime.messages where topic = 'workflow:' || pg_temp.fx('wf')),
          (select j - 'last_read_seq' - 'unread_count' from sent where k = 'session'),
          'create_session: payload is the API session JSON without the caller-specific fields');
select is((select bool_and(private) from realtime.messages), true, 'database broadcasts are private');

delete from realtime.messages;
select tests.act_as('mia');
insert into fx values ('c', gen_random_uuid());
insert into sent select 'msg', public.wc_send_message(pg_temp.fx('s'), pg_temp.fx('c'), 'text', 'hello');
select tests.act_as_postgres();
select is((select payload from realtime.messages where topic = 'chat:' || pg_temp.fx('s') and event = 'message_created'),
          (select j from sent where k = 'msg'), 'send: message_created on chat:<session> with the API message JSON');
select is((select (payload -> 'last_message' ->> 'id') from realtime.messages
           where topic = 'workflow:' || pg_temp.fx('wf') and event = 'session_updated'),
          (select j ->> 'id' from sent where k = 'msg'), 'send: session_updated on the workflow topic with the new last message');
select is((select count(*)::int from realtime.messages), 2, 'send: two rows');
delete from realtime.messages;
select tests.act_as('mia');
select public.wc_send_message(pg_temp.fx('s'), pg_temp.fx('c'), 'text', 'hello');
select tests.act_as_postgres();
select is((select count(*)::int from realtime.messages), 0, 'an idempotent resend publishes nothing');

select tests.act_as('mia');
insert into sent select 'edit', public.wc_edit_message(((select j from sent where k = 'msg') ->> 'id')::uuid, 'hello!');
insert into sent select 'react', public.wc_toggle_reaction(((select j from sent where k = 'msg') ->> 'id')::uuid, '🎉');
insert into sent select 'read', public.wc_mark_read(pg_temp.fx('s'), 1);
select tests.act_as('olga');
insert into sent select 'read2', public.wc_mark_read(pg_temp.fx('s'), 1);
insert into sent select 'rename', public.wc_update_session(pg_temp.fx('s'), 'Renamed');
insert into sent select 'delete', public.wc_delete_message(((select j from sent where k = 'msg') ->> 'id')::uuid);
select tests.act_as_postgres();
select is((select array_agg(event order by inserted_at, event) from realtime.messages where topic = 'chat:' || pg_temp.fx('s')),
          array['message_deleted', 'message_updated', 'message_updated', 'read_updated', 'session_updated'],
          'edit, reaction, read (only when it moves), rename, delete: one chat event each');
select is((select count(*)::int from realtime.messages m, sent s
           where m.topic = 'chat:' || pg_temp.fx('s') and s.k in ('edit', 'react', 'delete') and m.payload = s.j), 3,
          'message events carry exactly the JSON the API returned');
select is((select payload - 'id' from realtime.messages where event = 'read_updated'),
          (select j from sent where k = 'read2'), 'read_updated carries the ReadState (plus realtime''s id)');
select is((select count(*)::int from realtime.messages where topic = 'workflow:' || pg_temp.fx('wf')), 4,
          'workflow topic: last-message edit, reaction, rename and delete');

-- RLS on realtime.messages ---------------------------------------------------------
create function pg_temp.probe(p_handle text, p_topic text, p_extension text) returns boolean language plpgsql as $$
declare
    v_id uuid := gen_random_uuid();
    v_seen boolean;
begin
    perform tests.act_as_postgres();
    insert into realtime.messages (id, topic, extension) values (v_id, p_topic, p_extension);
    perform tests.act_as(p_handle);
    perform set_config('realtime.topic', p_topic, true);
    select exists (select 1 from realtime.messages where id = v_id) into v_seen;
    perform tests.act_as_postgres();
    delete from realtime.messages where id = v_id;
    return v_seen;
end;
$$;
-- The write check Realtime makes before relaying a client's broadcast or
-- presence track. The event name is part of the row but not of the check:
-- a forged server event is refused because of its topic.
create function pg_temp.can_write(p_handle text, p_topic text, p_extension text, p_event text default null)
returns boolean language plpgsql as $$
begin
    perform tests.act_as(p_handle);
    perform set_config('realtime.topic', p_topic, true);
    begin
        insert into realtime.messages (topic, extension, payload, event) values (p_topic, p_extension, '{}', p_event);
        raise exception using errcode = 'TOKOK';
    exception
        when sqlstate 'TOKOK' then return true;
        when insufficient_privilege then return false;
    end;
end;
$$;
create function pg_temp.chat() returns text language sql as $$ select 'chat:' || pg_temp.fx('s') $$;
create function pg_temp.typing() returns text language sql as $$ select 'typing:' || pg_temp.fx('s') $$;
create function pg_temp.workflow() returns text language sql as $$ select 'workflow:' || pg_temp.fx('wf') $$;

-- chat:<session>: viewer+ read and are shown online; only the server broadcasts.
select ok(pg_temp.probe('vic', pg_temp.chat(), 'broadcast'), 'viewer reads chat broadcasts');
select ok(pg_temp.probe('vic', pg_temp.chat(), 'presence'), 'viewer reads chat presence');
select ok(not pg_temp.probe('eve', pg_temp.chat(), 'broadcast'), 'outsider cannot read the chat topic');
select ok(not pg_temp.probe('mia', 'chat:' || gen_random_uuid(), 'broadcast'), 'unknown session topic: no access');
select ok(not pg_temp.can_write('mia', pg_temp.chat(), 'broadcast', 'message_created'),
          'a member cannot broadcast a forged message_created on the chat topic');
select ok(not pg_temp.can_write('olga', pg_temp.chat(), 'broadcast', 'typing'),
          'not even the owner broadcasts on the chat topic (typing included)');
select ok(pg_temp.can_write('mia', pg_temp.chat(), 'presence'), 'member may track presence on the chat topic');
select ok(pg_temp.can_write('vic', pg_temp.chat(), 'presence'), 'viewer may track presence on the chat topic');
select ok(not pg_temp.can_write('eve', pg_temp.chat(), 'presence'), 'outsider may not track presence');

-- typing:<session>: viewer+ read, member+ broadcast, no presence.
select ok(pg_temp.probe('vic', pg_temp.typing(), 'broadcast'), 'viewer reads typing broadcasts');
select ok(not pg_temp.probe('mia', pg_temp.typing(), 'presence'), 'the typing topic has no presence to read');
select ok(not pg_temp.probe('eve', pg_temp.typing(), 'broadcast'), 'outsider cannot read the typing topic');
select ok(not pg_temp.probe('mia', 'typing:' || gen_random_uuid(), 'broadcast'), 'unknown session typing topic: no access');
select ok(pg_temp.can_write('mia', pg_temp.typing(), 'broadcast', 'typing'), 'member may broadcast typing');
select ok(pg_temp.can_write('olga', pg_temp.typing(), 'broadcast', 'typing'), 'owner may broadcast typing');
select ok(not pg_temp.can_write('vic', pg_temp.typing(), 'broadcast', 'typing'), 'viewer may not broadcast typing');
select ok(not pg_temp.can_write('eve', pg_temp.typing(), 'broadcast', 'typing'), 'outsider may not broadcast typing');
select ok(not pg_temp.can_write('mia', pg_temp.typing(), 'presence'), 'nobody tracks presence on the typing topic');

-- workflow:<workflow>: viewer+ read, only the server writes.
select ok(pg_temp.probe('vic', pg_temp.workflow(), 'broadcast'), 'viewer reads the workflow topic');
select ok(not pg_temp.probe('eve', pg_temp.workflow(), 'broadcast'), 'outsider cannot read the workflow topic');
select ok(not pg_temp.can_write('olga', pg_temp.workflow(), 'broadcast', 'session_created'),
          'nobody broadcasts on the workflow topic');
select ok(not pg_temp.can_write('olga', pg_temp.workflow(), 'presence'), 'nobody tracks presence on the workflow topic');

select ok(not pg_temp.probe('mia', 'room:' || pg_temp.fx('s'), 'broadcast'), 'foreign topic names are not ours to grant');
select ok(not pg_temp.can_write('mia', 'room:' || pg_temp.fx('s'), 'broadcast'), 'nor to write');

-- Revocation reaches Realtime at its next check.
select tests.act_as_postgres();
update workflow_chat.auth_tokens set revoked_at = now() where jti = tests.jti('vic');
select ok(not pg_temp.probe('vic', pg_temp.chat(), 'broadcast'), 'a revoked token loses read access');
select ok(not pg_temp.probe('vic', pg_temp.typing(), 'broadcast'), 'a revoked token loses the typing topic');
select tests.act_as('mia');
select public.wc_remove_member(pg_temp.fx('wf'), tests.account('mia'));
select ok(not pg_temp.probe('mia', pg_temp.chat(), 'broadcast'), 'a member who left loses read access');
select ok(not pg_temp.can_write('mia', pg_temp.typing(), 'broadcast', 'typing'), 'a member who left may no longer type');

-- The devstack wake-up trigger notifies with the row id.
select tests.act_as_postgres();
select is((select count(*)::int from pg_trigger where tgrelid = 'realtime.messages'::regclass
           and tgname = 'realtime_messages_devstack_notify'), 1, 'realtime.messages has the devstack notify trigger');

select * from finish();
rollback;
