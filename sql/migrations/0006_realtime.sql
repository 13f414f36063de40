-- workflow-chat, migration 6: who may use the private Realtime topics.
--
-- Supabase Realtime authorizes private channels with RLS on realtime.messages:
-- at join it checks SELECT (read: receive broadcasts, see presence), on the
-- first broadcast or presence track it checks INSERT (write), with the topic
-- in realtime.topic() and the kind in the row's `extension`. The check knows
-- the topic and the extension but never the event name, so a client allowed
-- to broadcast on a topic may broadcast any event there. Hence one topic per
-- kind of writer:
--
--   chat:<session>      server events (realtime.send from the chat functions,
--                       which bypass these policies) and presence; clients
--                       may only track presence, so every broadcast on it
--                       comes from the database;
--   typing:<session>    client typing broadcasts, no presence;
--   workflow:<workflow> server events only.
--
-- These policies only ever grant access to those topics, so they add nothing
-- to a host project's others.

create function workflow_chat.realtime_topic_allowed(
    p_claims jsonb,
    p_topic text,
    p_extension text,
    p_write boolean
)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_kind text := split_part(p_topic, ':', 1);
    v_id text := substr(p_topic, length(v_kind) + 2);
    v_workflow_id uuid;
    v_role workflow_chat.workflow_role;
begin
    if p_topic is null or p_extension not in ('broadcast', 'presence')
       or not coalesce(workflow_chat.is_uuid(v_id), false) then
        return false;
    end if;
    if v_kind in ('chat', 'typing') then
        select s.workflow_id into v_workflow_id from workflow_chat.chat_session s where s.id = v_id::uuid;
    elsif v_kind = 'workflow' then
        v_workflow_id := v_id::uuid;
    else
        return false;
    end if;
    -- Typing topics carry no presence: who is online lives on the chat topic.
    if v_kind = 'typing' and p_extension = 'presence' then
        return false;
    end if;
    v_role := workflow_chat.claims_role(p_claims, v_workflow_id);
    if v_role is null then
        return false;
    end if;
    if not p_write then
        return true;
    end if;
    if v_kind = 'chat' then
        -- Anyone who may read the session is shown online; broadcasts on
        -- the chat topic are the server's alone.
        return p_extension = 'presence';
    elsif v_kind = 'typing' then
        return v_role >= 'member';
    end if;
    return false;
end;
$$;
comment on function workflow_chat.realtime_topic_allowed(jsonb, text, text, boolean) is
    'Realtime authorization for chat:<session>, typing:<session> and workflow:<workflow> topics, by role on the workflow.';

create policy wc_realtime_topics_read on realtime.messages
    for select to authenticated
    using (workflow_chat.realtime_topic_allowed((select auth.jwt()), (select realtime.topic()), extension, false));

create policy wc_realtime_topics_write on realtime.messages
    for insert to authenticated
    with check (workflow_chat.realtime_topic_allowed((select auth.jwt()), (select realtime.topic()), extension, true));

revoke all on function workflow_chat.realtime_topic_allowed(jsonb, text, text, boolean) from public;
grant execute on function workflow_chat.realtime_topic_allowed(jsonb, text, text, boolean) to authenticated;
