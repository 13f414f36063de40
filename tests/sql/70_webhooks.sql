-- Webhooks: a delivery per event, the request queued for pg_net with an
-- HMAC-SHA256 signature that verifies over the exact body bytes, retries with
-- exponential backoff while the endpoint fails (playing pg_net's worker by
-- writing net._http_response), success, cancellation when the webhook is
-- removed, and the admin-only delivery log.
begin;
\ir helpers/caller.psql
select plan(23);

select tests.new_account('olga'), tests.new_account('mia');
create temp table fx (k text primary key, v text);
grant all on fx to public;
create function pg_temp.fx(p_k text) returns text language sql as $$ select v from fx where k = p_k $$;

select tests.act_as('olga');
insert into fx select 'wf', public.wc_create_workflow('Hooks') ->> 'id';
select public.wc_add_member(pg_temp.fx('wf')::uuid, 'mia@example.test', 'member');
select public.wc_set_webhook(pg_temp.fx('wf')::uuid, 'https://hooks.example.test/chat', 'whsec-0123456789abcdef');
insert into fx select 's', public.wc_create_session(pg_temp.fx('wf')::uuid, 'Tickets') ->> 'id';
select tests.act_as('mia');
insert into fx select 'msg', public.wc_send_message(pg_temp.fx('s')::uuid, gen_random_uuid(), 'text', 'ping') ->> 'id';

select tests.act_as_postgres();
select is((select array_agg(event order by created_at, event) from workflow_chat.webhook_delivery),
          array['message.created', 'session.created'], 'one delivery per event');
insert into fx select 'd', id::text from workflow_chat.webhook_delivery where event = 'message.created';
select is((select status::text from workflow_chat.webhook_delivery where id = pg_temp.fx('d')::uuid), 'sending',
          'the first attempt is queued in the same transaction');

create function pg_temp.request(p_delivery text) returns net.http_request_queue language sql as $$
    select q.* from net.http_request_queue q
    join workflow_chat.webhook_delivery d on d.last_request_id = q.id
    where d.id = p_delivery::uuid
$$;
select is((pg_temp.request(pg_temp.fx('d'))).url, 'https://hooks.example.test/chat', 'posted to the webhook url');
select is((pg_temp.request(pg_temp.fx('d'))).method::text, 'POST', 'method POST');
select is((pg_temp.request(pg_temp.fx('d'))).headers ->> 'X-Workflow-Chat-Signature',
          'sha256=' || encode(extensions.hmac((pg_temp.request(pg_temp.fx('d'))).body,
                                              convert_to('whsec-0123456789abcdef', 'UTF8'), 'sha256'), 'hex'),
          'the signature header is HMAC-SHA256 of the exact body bytes with the secret');
select is((pg_temp.request(pg_temp.fx('d'))).headers ->> 'X-Workflow-Chat-Event', 'message.created', 'event header');
select is((pg_temp.request(pg_temp.fx('d'))).headers ->> 'X-Workflow-Chat-Delivery', pg_temp.fx('d'), 'delivery id header');
select is(convert_from((pg_temp.request(pg_temp.fx('d'))).body, 'UTF8')::jsonb -> 'data' ->> 'id', pg_temp.fx('msg'),
          'the body carries the message');
select is(convert_from((pg_temp.request(pg_temp.fx('d'))).body, 'UTF8')::jsonb ->> 'id', pg_temp.fx('d'),
          'the body names the delivery');

-- The endpoint is down: 503, then a timeout.
create function pg_temp.respond(p_delivery text, p_status integer, p_timed_out boolean default false) returns void
language sql as $$
    insert into net._http_response (id, status_code, timed_out, error_msg)
    select last_request_id, p_status, p_timed_out, case when p_timed_out then 'Timeout was reached' end
    from workflow_chat.webhook_delivery where id = p_delivery::uuid
$$;
create function pg_temp.delivery(p_delivery text) returns workflow_chat.webhook_delivery language sql as $$
    select * from workflow_chat.webhook_delivery where id = p_delivery::uuid
$$;
select pg_temp.respond(pg_temp.fx('d'), 503);
select tests.act_as_service();
select is(public.wc_process_webhooks(), 0, 'nothing is due right after a failure');
select tests.act_as_postgres();
select is((pg_temp.delivery(pg_temp.fx('d'))).status::text, 'pending', 'a failed attempt goes back to pending');
select is((pg_temp.delivery(pg_temp.fx('d'))).last_status_code, 503, 'the status code is logged');
select ok((pg_temp.delivery(pg_temp.fx('d'))).next_attempt_at between now() + interval '29 seconds' and now() + interval '31 seconds',
          'first retry after 30 seconds');

update workflow_chat.webhook_delivery set next_attempt_at = now() - interval '1 second' where id = pg_temp.fx('d')::uuid;
select tests.act_as_service();
select is(public.wc_process_webhooks(), 1, 'a due delivery is sent again');
select tests.act_as_postgres();
select pg_temp.respond(pg_temp.fx('d'), null, true);
select workflow_chat.process_webhook_deliveries();
select is((pg_temp.delivery(pg_temp.fx('d'))).last_error, 'timeout', 'a timeout is logged');
select ok((pg_temp.delivery(pg_temp.fx('d'))).next_attempt_at between now() + interval '59 seconds' and now() + interval '61 seconds',
          'second retry after 60 seconds (exponential backoff)');

-- The endpoint recovers.
update workflow_chat.webhook_delivery set next_attempt_at = now() - interval '1 second' where id = pg_temp.fx('d')::uuid;
select workflow_chat.process_webhook_deliveries();
select pg_temp.respond(pg_temp.fx('d'), 204);
select workflow_chat.process_webhook_deliveries();
select is(((pg_temp.delivery(pg_temp.fx('d'))).status::text, (pg_temp.delivery(pg_temp.fx('d'))).attempts),
          ('delivered'::text, 3), 'delivered on the third attempt');
select ok((select backoff = interval '1 hour' from (select workflow_chat.webhook_backoff(20) backoff) b),
          'backoff is capped at one hour');

-- The log is for admins.
select tests.act_as('mia');
select throws_ok(format($$select public.wc_list_webhook_deliveries(%L)$$, pg_temp.fx('wf')), 'PT403', 'insufficient role',
                 'members cannot read the log');
select tests.act_as('olga');
select is(jsonb_array_length(public.wc_list_webhook_deliveries(pg_temp.fx('wf')::uuid)), 2, 'admins read the log');

-- Each workflow signs with its own secret, and no function gives it back.
select tests.act_as('olga');
insert into fx select 'wf2', public.wc_create_workflow('Other hooks') ->> 'id';
insert into fx select 'set2', public.wc_set_webhook(pg_temp.fx('wf2')::uuid, 'https://other.example.test/in',
                                                     'second-secret-0123456789')::text;
insert into fx select 's2', public.wc_create_session(pg_temp.fx('wf2')::uuid, 'Elsewhere') ->> 'id';
select tests.act_as_postgres();
select is((select q.headers ->> 'X-Workflow-Chat-Signature'
           from workflow_chat.webhook_delivery d join net.http_request_queue q on q.id = d.last_request_id
           where d.workflow_id = pg_temp.fx('wf2')::uuid),
          (select 'sha256=' || encode(extensions.hmac(q.body, convert_to('second-secret-0123456789', 'UTF8'), 'sha256'), 'hex')
           from workflow_chat.webhook_delivery d join net.http_request_queue q on q.id = d.last_request_id
           where d.workflow_id = pg_temp.fx('wf2')::uuid),
          'a second workflow''s deliveries are signed with its own secret');
select tests.act_as('olga');
select is((select count(*)::int from unnest(array[
               pg_temp.fx('set2'),
               public.wc_get_workflow(pg_temp.fx('wf')::uuid)::text,
               public.wc_get_workflow(pg_temp.fx('wf2')::uuid)::text,
               public.wc_list_workflows()::text,
               public.wc_update_workflow(pg_temp.fx('wf')::uuid, 'Hooks')::text,
               public.wc_list_webhook_deliveries(pg_temp.fx('wf')::uuid)::text,
               public.wc_list_webhook_deliveries(pg_temp.fx('wf2')::uuid)::text,
               (select string_agg(payload::text, ' ') from realtime.messages),
               (select string_agg(convert_from(body, 'UTF8'), ' ') from net.http_request_queue)]) out
           where position('whsec-0123456789abcdef' in out) > 0 or position('second-secret-0123456789' in out) > 0), 0,
          'no result, delivery log, realtime payload or webhook body contains a secret, even for the owner');

-- Removing the webhook cancels what is pending.
select tests.act_as_postgres();
update workflow_chat.webhook_delivery set status = 'pending', next_attempt_at = now() - interval '1 second'
where event = 'session.created' and workflow_id = pg_temp.fx('wf')::uuid;
select tests.act_as('olga');
select public.wc_set_webhook(pg_temp.fx('wf')::uuid, null);
select tests.act_as_postgres();
select workflow_chat.process_webhook_deliveries();
select is((select status::text from workflow_chat.webhook_delivery
           where event = 'session.created' and workflow_id = pg_temp.fx('wf')::uuid), 'cancelled',
          'pending deliveries are cancelled when the webhook is removed');

select * from finish();
rollback;
