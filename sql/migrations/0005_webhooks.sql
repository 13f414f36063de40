-- workflow-chat, migration 5: webhooks.
--
-- A workflow with a webhook_url gets one delivery row per message or session
-- event. The body is signed with HMAC-SHA256 (header X-Workflow-Chat-Signature)
-- and posted through pg_net's net.http_post: first at the end of the
-- transaction that caused the event, then by
-- workflow_chat.process_webhook_deliveries(), which records pg_net's responses
-- and retries failures with exponential backoff (30 s doubling, capped at an
-- hour) until the endpoint answers 2xx. Nothing is dropped while the endpoint
-- is down; deliveries stop only when the webhook is removed or re-pointed.
--
-- Scheduling on Supabase (pg_cron):
--   select cron.schedule('workflow-chat-webhooks', '30 seconds',
--                        'select workflow_chat.process_webhook_deliveries()');
-- devstack's worker calls public.wc_process_webhooks() (0008_api.sql) instead.

create function workflow_chat.webhook_signature(p_body text, p_secret text)
returns text
language sql
immutable
set search_path = ''
as $$
    -- pg_net sends convert_to(body::text, 'UTF8'): sign exactly those bytes.
    select 'sha256=' || encode(extensions.hmac(convert_to(p_body, 'UTF8'), convert_to(p_secret, 'UTF8'), 'sha256'), 'hex')
$$;
comment on function workflow_chat.webhook_signature(text, text) is
    'Value of the X-Workflow-Chat-Signature header for a body and secret.';

create function workflow_chat.webhook_backoff(p_attempts integer)
returns interval
language sql
immutable
set search_path = ''
as $$
    select make_interval(secs => least(30 * power(2, greatest(p_attempts, 1) - 1), 3600))
$$;
comment on function workflow_chat.webhook_backoff(integer) is
    'Wait before the next attempt after p_attempts failed ones: 30 s, 60 s, 120 s, ... at most 1 h.';

create function workflow_chat.send_delivery(p_delivery_id uuid)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_delivery workflow_chat.webhook_delivery;
    v_workflow workflow_chat.workflow;
    v_request_id bigint;
begin
    select * into v_delivery from workflow_chat.webhook_delivery d where d.id = p_delivery_id for update;
    select * into v_workflow from workflow_chat.workflow w where w.id = v_delivery.workflow_id;
    if v_workflow.webhook_url is distinct from v_delivery.url then
        update workflow_chat.webhook_delivery
        set status = 'cancelled', last_error = 'webhook removed'
        where id = p_delivery_id;
        return false;
    end if;
    if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
        update workflow_chat.webhook_delivery
        set last_error = 'pg_net is not installed',
            next_attempt_at = now() + workflow_chat.webhook_backoff(v_delivery.attempts + 1)
        where id = p_delivery_id;
        return false;
    end if;
    v_request_id := net.http_post(
        url := v_delivery.url,
        body := v_delivery.payload,
        params := '{}'::jsonb,
        headers := jsonb_build_object(
            'Content-Type', 'application/json',
            'User-Agent', 'workflow-chat-webhook',
            'X-Workflow-Chat-Event', v_delivery.event,
            'X-Workflow-Chat-Delivery', v_delivery.id,
            'X-Workflow-Chat-Signature',
                workflow_chat.webhook_signature(v_delivery.payload::text, v_workflow.webhook_secret)),
        timeout_milliseconds := 5000);
    update workflow_chat.webhook_delivery
    set status = 'sending', attempts = attempts + 1, last_request_id = v_request_id, last_sent_at = now()
    where id = p_delivery_id;
    return true;
end;
$$;
comment on function workflow_chat.send_delivery(uuid) is
    'Queues one HTTP attempt of a delivery with pg_net; cancels it if the webhook was removed or changed.';

create function workflow_chat.enqueue_webhook(p_workflow_id uuid, p_event text, p_data jsonb)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_url text;
    v_id uuid := gen_random_uuid();
    v_now timestamptz := now();
begin
    select w.webhook_url into v_url from workflow_chat.workflow w where w.id = p_workflow_id;
    if v_url is null then
        return;
    end if;
    insert into workflow_chat.webhook_delivery (id, workflow_id, event, url, payload, created_at)
    values (v_id, p_workflow_id, p_event, v_url,
            jsonb_build_object('id', v_id, 'event', p_event, 'workflow_id', p_workflow_id,
                               'created_at', v_now, 'data', p_data),
            v_now);
    perform workflow_chat.send_delivery(v_id);
end;
$$;
comment on function workflow_chat.enqueue_webhook(uuid, text, jsonb) is
    'Records a delivery for the workflow''s webhook (if any) and makes the first attempt.';

create function workflow_chat.process_webhook_deliveries()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_delivery workflow_chat.webhook_delivery;
    v_response record;
    v_sent integer := 0;
begin
    -- 1. Outcomes of requests pg_net has finished.
    for v_delivery in
        select * from workflow_chat.webhook_delivery d
        where d.status = 'sending'
        order by d.last_sent_at
        for update skip locked
    loop
        v_response := null;
        if to_regclass('net._http_response') is not null then
            execute 'select status_code, timed_out, error_msg from net._http_response where id = $1'
                into v_response using v_delivery.last_request_id;
        end if;
        if v_response is null then
            -- No answer yet; after 5 minutes assume it was lost and retry.
            if v_delivery.last_sent_at < now() - interval '5 minutes' then
                update workflow_chat.webhook_delivery
                set status = 'pending', last_error = 'no response',
                    next_attempt_at = now() + workflow_chat.webhook_backoff(v_delivery.attempts)
                where id = v_delivery.id;
            end if;
        elsif v_response.status_code between 200 and 299 then
            update workflow_chat.webhook_delivery
            set status = 'delivered', delivered_at = now(), last_status_code = v_response.status_code,
                last_error = null
            where id = v_delivery.id;
        else
            update workflow_chat.webhook_delivery
            set status = 'pending',
                last_status_code = v_response.status_code,
                last_error = left(case when v_response.timed_out then 'timeout'
                                       else coalesce(v_response.error_msg,
                                                     'http status ' || v_response.status_code) end, 500),
                next_attempt_at = now() + workflow_chat.webhook_backoff(v_delivery.attempts)
            where id = v_delivery.id;
        end if;
    end loop;

    -- 2. Attempts that are due, oldest first.
    for v_delivery in
        select * from workflow_chat.webhook_delivery d
        where d.status = 'pending' and d.next_attempt_at <= now()
        order by d.next_attempt_at, d.created_at
        limit 500
        for update skip locked
    loop
        if workflow_chat.send_delivery(v_delivery.id) then
            v_sent := v_sent + 1;
        end if;
    end loop;
    return v_sent;
end;
$$;
comment on function workflow_chat.process_webhook_deliveries() is
    'One round of webhook work: records finished requests, schedules retries, sends due deliveries. '
    'Returns the number of requests queued. Run periodically (pg_cron on Supabase).';

create function workflow_chat.delivery_json(p_delivery workflow_chat.webhook_delivery)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', p_delivery.id,
        'workflow_id', p_delivery.workflow_id,
        'event', p_delivery.event,
        'status', p_delivery.status,
        'attempts', p_delivery.attempts,
        'last_status_code', p_delivery.last_status_code,
        'last_error', p_delivery.last_error,
        'next_attempt_at', p_delivery.next_attempt_at,
        'created_at', p_delivery.created_at,
        'delivered_at', p_delivery.delivered_at,
        'payload', p_delivery.payload)
$$;

create function workflow_chat.list_webhook_deliveries(
    p_workflow_id uuid,
    p_before_created_at timestamptz,
    p_before_id uuid,
    p_limit integer
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_limit integer;
begin
    perform workflow_chat.require_role(p_workflow_id, v_account_id, 'admin');
    v_limit := workflow_chat.check_limit(p_limit, 200);
    if (p_before_created_at is null) <> (p_before_id is null) then
        raise exception using errcode = 'PT400', message = 'invalid argument',
                              detail = case when p_before_id is null then 'before_id' else 'before_created_at' end;
    end if;
    return coalesce((
        select jsonb_agg(workflow_chat.delivery_json(d) order by d.created_at desc, d.id desc)
        from (select * from workflow_chat.webhook_delivery wd
              where wd.workflow_id = p_workflow_id
                and (p_before_created_at is null or (wd.created_at, wd.id) < (p_before_created_at, p_before_id))
              order by wd.created_at desc, wd.id desc
              limit v_limit) d), '[]'::jsonb);
end;
$$;

-- Second line: admins read their workflows' delivery log.
create policy webhook_delivery_admin_read on workflow_chat.webhook_delivery for select to authenticated
    using (workflow_chat.claims_role((select auth.jwt()), workflow_id) >= 'admin');

revoke all on function workflow_chat.webhook_signature(text, text) from public;
revoke all on function workflow_chat.webhook_backoff(integer) from public;
revoke all on function workflow_chat.send_delivery(uuid) from public;
revoke all on function workflow_chat.enqueue_webhook(uuid, text, jsonb) from public;
revoke all on function workflow_chat.process_webhook_deliveries() from public;
revoke all on function workflow_chat.delivery_json(workflow_chat.webhook_delivery) from public;
revoke all on function workflow_chat.list_webhook_deliveries(uuid, timestamptz, uuid, integer) from public;

grant execute on function workflow_chat.process_webhook_deliveries() to service_role;
grant execute on function workflow_chat.list_webhook_deliveries(uuid, timestamptz, uuid, integer) to anon, authenticated;
