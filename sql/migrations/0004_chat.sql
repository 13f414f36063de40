-- workflow-chat, migration 4: sessions and messages.
--
-- Sends take the session row lock, so seq is gapless and in commit order per
-- session. Every change is published in the same transaction with
-- realtime.send on the private topic chat:<session> (workflow:<workflow> for
-- the session list), with the same JSON the API returns, and queued for the
-- workflow's webhook (0005_webhooks.sql).

-- ===========================================================================
-- Attachments: MIME allow-list shared with the Storage bucket (0007)
-- ===========================================================================

create function workflow_chat.attachment_mime_types()
returns text[]
language sql
immutable
set search_path = ''
as $$
    select array['audio/*', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'video/mp4',
                 'video/webm', 'application/pdf', 'text/plain', 'text/csv', 'application/zip',
                 'application/json']
$$;
comment on function workflow_chat.attachment_mime_types() is
    'MIME types accepted for attachments (entries type/subtype or type/*), used by the bucket and the API.';

create function workflow_chat.mime_type_allowed(p_mime_type text)
returns boolean
language sql
immutable
set search_path = ''
as $$
    -- Parameters (";codecs=opus") only ever match a type/* entry, as in Storage.
    select exists (
        select 1 from unnest(workflow_chat.attachment_mime_types()) allowed
        where allowed = lower(p_mime_type)
           or (allowed like '%/*' and lower(p_mime_type) like replace(allowed, '*', '') || '%'))
$$;

-- ===========================================================================
-- JSON shapes (docs/api.md, "JSON shapes")
-- ===========================================================================

create function workflow_chat.preview_text(p_body text)
returns text
language sql
immutable
set search_path = ''
as $$
    select case when char_length(p_body) > 140 then left(p_body, 140) || '…' else p_body end
$$;

create function workflow_chat.message_preview_json(p_session_id uuid, p_seq bigint)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', m.id,
        'seq', m.seq,
        'kind', m.kind,
        'author_id', m.author_id,
        'author_name', p.display_name,
        'body', workflow_chat.preview_text(m.body),
        'file_name', m.attachment ->> 'file_name',
        'created_at', m.created_at,
        'deleted', m.deleted_at is not null)
    from workflow_chat.chat_message m
    left join workflow_chat.userprofile p on p.account_id = m.author_id
    where m.session_id = p_session_id and m.seq = p_seq
$$;

create function workflow_chat.message_json(p_message workflow_chat.chat_message, p_workflow_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', p_message.id,
        'session_id', p_message.session_id,
        'workflow_id', p_workflow_id,
        'seq', p_message.seq,
        'client_id', p_message.client_id,
        'kind', p_message.kind,
        'author', (select jsonb_build_object('id', p.account_id, 'display_name', p.display_name,
                                             'avatar_url', p.avatar_url)
                   from workflow_chat.userprofile p where p.account_id = p_message.author_id),
        'body', p_message.body,
        'attachment', p_message.attachment,
        'reply_to', (select jsonb_build_object('id', r.id, 'seq', r.seq, 'author_name', rp.display_name,
                                               'preview', workflow_chat.preview_text(r.body))
                     from workflow_chat.chat_message r
                     left join workflow_chat.userprofile rp on rp.account_id = r.author_id
                     where r.id = p_message.reply_to_id),
        'reactions', coalesce((
            select jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'account_ids', g.ids)
                             order by g.first_at, g.emoji)
            from (select x.emoji, count(*) as n, min(x.created_at) as first_at,
                         jsonb_agg(x.account_id order by x.created_at, x.account_id) as ids
                  from workflow_chat.chat_reaction x
                  where x.message_id = p_message.id
                  group by x.emoji) g), '[]'::jsonb),
        'created_at', p_message.created_at,
        'edited_at', p_message.edited_at,
        'deleted_at', p_message.deleted_at)
$$;

create function workflow_chat.session_json(p_session workflow_chat.chat_session, p_viewer_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', p_session.id,
        'workflow_id', p_session.workflow_id,
        'title', p_session.title,
        'metadata', p_session.metadata,
        'created_by', p_session.created_by,
        'created_at', p_session.created_at,
        'updated_at', p_session.updated_at,
        'archived_at', p_session.archived_at,
        'last_seq', p_session.last_seq,
        'last_activity_at', p_session.last_activity_at,
        'last_message', workflow_chat.message_preview_json(p_session.id, p_session.last_seq))
    || case when p_viewer_id is null then '{}'::jsonb
            else (select jsonb_build_object(
                             'last_read_seq', coalesce(rs.last_read_seq, 0),
                             'unread_count', greatest(p_session.last_seq - coalesce(rs.last_read_seq, 0), 0))
                  from (select 1) one
                  left join workflow_chat.chat_read_state rs
                         on rs.session_id = p_session.id and rs.account_id = p_viewer_id)
       end
$$;
comment on function workflow_chat.session_json(workflow_chat.chat_session, uuid) is
    'Session JSON; with a viewer it includes that viewer''s last_read_seq and unread_count.';

create function workflow_chat.read_state_json(p_session_id uuid, p_account_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'session_id', p_session_id,
        'account_id', p_account_id,
        'display_name', p.display_name,
        'last_read_seq', coalesce(rs.last_read_seq, 0),
        'read_at', rs.read_at)
    from workflow_chat.userprofile p
    left join workflow_chat.chat_read_state rs
           on rs.session_id = p_session_id and rs.account_id = p_account_id
    where p.account_id = p_account_id
$$;

-- ===========================================================================
-- Publishing
-- ===========================================================================

create function workflow_chat.publish(p_topic text, p_event text, p_payload jsonb)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- Private: only subscribers passing the realtime.messages policies of
    -- 0006_realtime.sql receive it.
    perform realtime.send(p_payload, p_event, p_topic, true);
end;
$$;

-- ===========================================================================
-- Lookups shared by the chat functions
-- ===========================================================================

create function workflow_chat.session_for(p_session_id uuid, p_account_id uuid, p_min workflow_chat.workflow_role)
returns workflow_chat.chat_session
language plpgsql
stable
set search_path = ''
as $$
declare
    v_session workflow_chat.chat_session;
begin
    select * into v_session from workflow_chat.chat_session s where s.id = p_session_id;
    if not found then
        raise exception using errcode = 'PT404', message = 'session not found';
    end if;
    perform workflow_chat.require_role(v_session.workflow_id, p_account_id, p_min, 'session not found');
    return v_session;
end;
$$;
comment on function workflow_chat.session_for(uuid, uuid, workflow_chat.workflow_role) is
    'The session if the account has at least p_min on its workflow; PT404/PT403 otherwise.';

create function workflow_chat.check_limit(p_limit integer, p_max integer)
returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_limit is null or p_limit < 1 or p_limit > p_max then
        raise exception using errcode = 'PT400', message = 'invalid limit', detail = 'page_size';
    end if;
    return p_limit;
end;
$$;

create function workflow_chat.check_metadata(p_metadata jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    if jsonb_typeof(p_metadata) is distinct from 'object' or octet_length(p_metadata::text) > 8192 then
        raise exception using errcode = 'PT400', message = 'invalid metadata', detail = 'metadata';
    end if;
    return p_metadata;
end;
$$;

-- ===========================================================================
-- Sessions
-- ===========================================================================

create function workflow_chat.create_session(p_workflow_id uuid, p_title text, p_metadata jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_session workflow_chat.chat_session;
    v_shared jsonb;
begin
    perform workflow_chat.require_role(p_workflow_id, v_account_id, 'member');
    insert into workflow_chat.chat_session (workflow_id, title, metadata, created_by)
    values (p_workflow_id, workflow_chat.check_text(btrim(p_title), 'title', 1, 200),
            workflow_chat.check_metadata(coalesce(p_metadata, '{}'::jsonb)), v_account_id)
    returning * into v_session;
    v_shared := workflow_chat.session_json(v_session, null);
    perform workflow_chat.publish('workflow:' || p_workflow_id, 'session_created', v_shared);
    perform workflow_chat.enqueue_webhook(p_workflow_id, 'session.created', v_shared);
    return workflow_chat.session_json(v_session, v_account_id);
end;
$$;

create function workflow_chat.get_session(p_session_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    return workflow_chat.session_json(workflow_chat.session_for(p_session_id, v_account_id, 'viewer'), v_account_id);
end;
$$;

create function workflow_chat.list_sessions(
    p_workflow_id uuid,
    p_before_activity timestamptz,
    p_before_id uuid,
    p_limit integer,
    p_include_archived boolean
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
    perform workflow_chat.require_role(p_workflow_id, v_account_id, 'viewer');
    v_limit := workflow_chat.check_limit(p_limit, 100);
    if (p_before_activity is null) <> (p_before_id is null) then
        raise exception using errcode = 'PT400', message = 'invalid argument',
                              detail = case when p_before_id is null then 'before_id' else 'before_activity' end;
    end if;
    return coalesce((
        select jsonb_agg(workflow_chat.session_json(s, v_account_id) order by s.last_activity_at desc, s.id desc)
        from (select *
              from workflow_chat.chat_session cs
              where cs.workflow_id = p_workflow_id
                and (coalesce(p_include_archived, false) or cs.archived_at is null)
                and (p_before_activity is null or (cs.last_activity_at, cs.id) < (p_before_activity, p_before_id))
              order by cs.last_activity_at desc, cs.id desc
              limit v_limit) s), '[]'::jsonb);
end;
$$;

create function workflow_chat.publish_session_change(p_session workflow_chat.chat_session)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_shared jsonb := workflow_chat.session_json(p_session, null);
begin
    perform workflow_chat.publish('workflow:' || p_session.workflow_id, 'session_updated', v_shared);
    perform workflow_chat.publish('chat:' || p_session.id, 'session_updated', v_shared);
    perform workflow_chat.enqueue_webhook(p_session.workflow_id, 'session.updated', v_shared);
end;
$$;

create function workflow_chat.session_for_change(p_session_id uuid, p_account_id uuid)
returns workflow_chat.chat_session
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_session workflow_chat.chat_session := workflow_chat.session_for(p_session_id, p_account_id, 'member');
begin
    -- Members change the sessions they created; admins change any.
    if workflow_chat.member_role(v_session.workflow_id, p_account_id) < 'admin'
       and v_session.created_by is distinct from p_account_id then
        raise exception using errcode = 'PT403', message = 'insufficient role';
    end if;
    select * into v_session from workflow_chat.chat_session s where s.id = p_session_id for update;
    return v_session;
end;
$$;

create function workflow_chat.update_session(p_session_id uuid, p_title text, p_metadata jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_session workflow_chat.chat_session := workflow_chat.session_for_change(p_session_id, v_account_id);
begin
    update workflow_chat.chat_session s
    set title = case when p_title is null then s.title
                     else workflow_chat.check_text(btrim(p_title), 'title', 1, 200) end,
        metadata = case when p_metadata is null then s.metadata
                        else workflow_chat.check_metadata(p_metadata) end
    where s.id = v_session.id
    returning * into v_session;
    perform workflow_chat.publish_session_change(v_session);
    return workflow_chat.session_json(v_session, v_account_id);
end;
$$;

create function workflow_chat.archive_session(p_session_id uuid, p_archived boolean)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_session workflow_chat.chat_session := workflow_chat.session_for_change(p_session_id, v_account_id);
begin
    if p_archived is null then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'archived';
    end if;
    update workflow_chat.chat_session s
    set archived_at = case when p_archived then coalesce(s.archived_at, now()) end
    where s.id = v_session.id
    returning * into v_session;
    perform workflow_chat.publish_session_change(v_session);
    return workflow_chat.session_json(v_session, v_account_id);
end;
$$;

-- ===========================================================================
-- Messages
-- ===========================================================================

create function workflow_chat.send_message(
    p_session_id uuid,
    p_client_id uuid,
    p_kind text,
    p_body text,
    p_attachment jsonb,
    p_reply_to uuid
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_session workflow_chat.chat_session := workflow_chat.session_for(p_session_id, v_account_id, 'member');
    v_kind workflow_chat.message_kind;
    v_body text := p_body;
    v_attachment jsonb := nullif(p_attachment, 'null'::jsonb);
    v_message workflow_chat.chat_message;
    v_json jsonb;
begin
    if p_client_id is null then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'client_id';
    end if;
    if p_kind is null or p_kind not in ('text', 'audio', 'file') then
        raise exception using errcode = 'PT400', message = 'invalid kind', detail = 'kind';
    end if;
    v_kind := p_kind::workflow_chat.message_kind;
    if char_length(v_body) > 10000 then
        raise exception using errcode = 'PT400', message = 'too long', detail = 'body';
    end if;
    if v_kind = 'text' then
        if v_body is null or btrim(v_body) = '' then
            raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'body';
        end if;
        if v_attachment is not null then
            raise exception using errcode = 'PT400', message = 'invalid attachment', detail = 'attachment';
        end if;
    else
        v_body := nullif(v_body, '');
        if not coalesce(workflow_chat.attachment_is_valid(v_attachment, v_kind), false)
           or not workflow_chat.mime_type_allowed(v_attachment ->> 'mime_type')
           or split_part(v_attachment ->> 'path', '/', 1) <> v_session.workflow_id::text
           or split_part(v_attachment ->> 'path', '/', 2) <> v_session.id::text then
            raise exception using errcode = 'PT400', message = 'invalid attachment', detail = 'attachment';
        end if;
    end if;
    if p_reply_to is not null and not exists (
            select 1 from workflow_chat.chat_message r where r.id = p_reply_to and r.session_id = p_session_id) then
        raise exception using errcode = 'PT404', message = 'message not found', detail = 'reply_to';
    end if;

    -- The session row lock serialises sends: seq is gapless and commit-ordered.
    select * into v_session from workflow_chat.chat_session s where s.id = p_session_id for update;

    -- Idempotency, checked under the lock so concurrent retries see each other.
    select * into v_message from workflow_chat.chat_message m
    where m.session_id = p_session_id and m.client_id = p_client_id;
    if found then
        if v_message.author_id is distinct from v_account_id then
            raise exception using errcode = 'PT409', message = 'client_id already used';
        end if;
        return workflow_chat.message_json(v_message, v_session.workflow_id);
    end if;
    if v_session.archived_at is not null then
        raise exception using errcode = 'PT409', message = 'session archived';
    end if;

    update workflow_chat.chat_session s
    set last_seq = s.last_seq + 1, last_activity_at = greatest(s.last_activity_at, clock_timestamp())
    where s.id = p_session_id
    returning * into v_session;

    insert into workflow_chat.chat_message (session_id, seq, client_id, author_id, kind, body, attachment, reply_to_id)
    values (p_session_id, v_session.last_seq, p_client_id, v_account_id, v_kind, v_body, v_attachment, p_reply_to)
    returning * into v_message;

    insert into workflow_chat.chat_read_state as rs (session_id, account_id, last_read_seq, read_at)
    values (p_session_id, v_account_id, v_message.seq, now())
    on conflict (session_id, account_id)
    do update set last_read_seq = greatest(rs.last_read_seq, excluded.last_read_seq), read_at = excluded.read_at;

    v_json := workflow_chat.message_json(v_message, v_session.workflow_id);
    perform workflow_chat.publish('chat:' || p_session_id, 'message_created', v_json);
    perform workflow_chat.publish('workflow:' || v_session.workflow_id, 'session_updated',
                                  workflow_chat.session_json(v_session, null));
    perform workflow_chat.enqueue_webhook(v_session.workflow_id, 'message.created', v_json);
    return v_json;
end;
$$;
comment on function workflow_chat.send_message(uuid, uuid, text, text, jsonb, uuid) is
    'Sends a message, idempotent on (session, client_id); assigns seq under the session row lock and publishes it.';

create function workflow_chat.get_messages(p_session_id uuid, p_before_seq bigint, p_after_seq bigint, p_limit integer)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_session workflow_chat.chat_session := workflow_chat.session_for(p_session_id, v_account_id, 'viewer');
    v_limit integer := workflow_chat.check_limit(p_limit, 200);
begin
    if p_after_seq is not null then
        -- Catching up: the oldest page above after_seq.
        return coalesce((
            select jsonb_agg(workflow_chat.message_json(m, v_session.workflow_id) order by m.seq)
            from (select * from workflow_chat.chat_message cm
                  where cm.session_id = p_session_id and cm.seq > p_after_seq
                    and (p_before_seq is null or cm.seq < p_before_seq)
                  order by cm.seq
                  limit v_limit) m), '[]'::jsonb);
    end if;
    -- Newest page, or the page just below before_seq.
    return coalesce((
        select jsonb_agg(workflow_chat.message_json(m, v_session.workflow_id) order by m.seq)
        from (select * from workflow_chat.chat_message cm
              where cm.session_id = p_session_id
                and (p_before_seq is null or cm.seq < p_before_seq)
              order by cm.seq desc
              limit v_limit) m), '[]'::jsonb);
end;
$$;

create function workflow_chat.message_for(p_message_id uuid, p_account_id uuid, p_min workflow_chat.workflow_role)
returns workflow_chat.chat_message
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_message workflow_chat.chat_message;
    v_workflow_id uuid;
begin
    select * into v_message from workflow_chat.chat_message m where m.id = p_message_id;
    if not found then
        raise exception using errcode = 'PT404', message = 'message not found';
    end if;
    select s.workflow_id into v_workflow_id from workflow_chat.chat_session s where s.id = v_message.session_id;
    if v_workflow_id is null then
        raise exception using errcode = 'PT404', message = 'message not found';
    end if;
    perform workflow_chat.require_role(v_workflow_id, p_account_id, p_min, 'message not found');
    -- Changes to a message serialise with sends on its session.
    perform 1 from workflow_chat.chat_session s where s.id = v_message.session_id for update;
    select * into v_message from workflow_chat.chat_message m where m.id = p_message_id;
    return v_message;
end;
$$;

create function workflow_chat.publish_message_change(
    p_message workflow_chat.chat_message,
    p_event text,
    p_webhook_event text
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_session workflow_chat.chat_session;
    v_json jsonb;
begin
    select * into v_session from workflow_chat.chat_session s where s.id = p_message.session_id;
    v_json := workflow_chat.message_json(p_message, v_session.workflow_id);
    perform workflow_chat.publish('chat:' || p_message.session_id, p_event, v_json);
    if p_message.seq = v_session.last_seq then
        -- The session list shows the last message: keep its preview current.
        perform workflow_chat.publish('workflow:' || v_session.workflow_id, 'session_updated',
                                      workflow_chat.session_json(v_session, null));
    end if;
    if p_webhook_event is not null then
        perform workflow_chat.enqueue_webhook(v_session.workflow_id, p_webhook_event, v_json);
    end if;
    return v_json;
end;
$$;

create function workflow_chat.session_is_archived(p_session_id uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
    select s.archived_at is not null from workflow_chat.chat_session s where s.id = p_session_id
$$;

create function workflow_chat.edit_message(p_message_id uuid, p_body text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_message workflow_chat.chat_message := workflow_chat.message_for(p_message_id, v_account_id, 'member');
begin
    if v_message.author_id is distinct from v_account_id then
        raise exception using errcode = 'PT403', message = 'not the author';
    end if;
    if v_message.deleted_at is not null then
        raise exception using errcode = 'PT409', message = 'message deleted';
    end if;
    if workflow_chat.session_is_archived(v_message.session_id) then
        raise exception using errcode = 'PT409', message = 'session archived';
    end if;
    if p_body is null or (v_message.kind = 'text' and btrim(p_body) = '') then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'body';
    end if;
    if char_length(p_body) > 10000 then
        raise exception using errcode = 'PT400', message = 'too long', detail = 'body';
    end if;
    update workflow_chat.chat_message m
    set body = case when m.kind = 'text' then p_body else nullif(p_body, '') end, edited_at = now()
    where m.id = p_message_id
    returning * into v_message;
    return workflow_chat.publish_message_change(v_message, 'message_updated', 'message.updated');
end;
$$;

create function workflow_chat.delete_message(p_message_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_message workflow_chat.chat_message := workflow_chat.message_for(p_message_id, v_account_id, 'member');
    v_workflow_id uuid := (select s.workflow_id from workflow_chat.chat_session s where s.id = v_message.session_id);
begin
    if v_message.author_id is distinct from v_account_id
       and workflow_chat.member_role(v_workflow_id, v_account_id) < 'admin' then
        raise exception using errcode = 'PT403', message = 'insufficient role';
    end if;
    if v_message.deleted_at is not null then
        return workflow_chat.message_json(v_message, v_workflow_id);
    end if;
    delete from workflow_chat.chat_reaction r where r.message_id = p_message_id;
    update workflow_chat.chat_message m
    set deleted_at = now(), body = null, attachment = null
    where m.id = p_message_id
    returning * into v_message;
    return workflow_chat.publish_message_change(v_message, 'message_deleted', 'message.deleted');
end;
$$;

create function workflow_chat.toggle_reaction(p_message_id uuid, p_emoji text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_message workflow_chat.chat_message := workflow_chat.message_for(p_message_id, v_account_id, 'member');
begin
    if p_emoji is null or char_length(p_emoji) not between 1 and 32 or p_emoji ~ '[[:space:]]' then
        raise exception using errcode = 'PT400', message = 'invalid emoji', detail = 'emoji';
    end if;
    if v_message.deleted_at is not null then
        raise exception using errcode = 'PT409', message = 'message deleted';
    end if;
    if workflow_chat.session_is_archived(v_message.session_id) then
        raise exception using errcode = 'PT409', message = 'session archived';
    end if;
    delete from workflow_chat.chat_reaction r
    where r.message_id = p_message_id and r.account_id = v_account_id and r.emoji = p_emoji;
    if not found then
        insert into workflow_chat.chat_reaction (message_id, account_id, emoji)
        values (p_message_id, v_account_id, p_emoji);
    end if;
    return workflow_chat.publish_message_change(v_message, 'message_updated', null);
end;
$$;

create function workflow_chat.mark_read(p_session_id uuid, p_seq bigint)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_session workflow_chat.chat_session := workflow_chat.session_for(p_session_id, v_account_id, 'viewer');
    v_json jsonb;
begin
    if p_seq is null or p_seq < 0 then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'seq';
    end if;
    insert into workflow_chat.chat_read_state as rs (session_id, account_id, last_read_seq, read_at)
    values (p_session_id, v_account_id, least(p_seq, v_session.last_seq), now())
    on conflict (session_id, account_id)
    do update set last_read_seq = excluded.last_read_seq, read_at = excluded.read_at
    where rs.last_read_seq < excluded.last_read_seq;
    v_json := workflow_chat.read_state_json(p_session_id, v_account_id);
    if found then
        perform workflow_chat.publish('chat:' || p_session_id, 'read_updated', v_json);
    end if;
    return v_json;
end;
$$;

create function workflow_chat.list_read_states(p_session_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    perform workflow_chat.session_for(p_session_id, v_account_id, 'viewer');
    return coalesce((
        select jsonb_agg(workflow_chat.read_state_json(p_session_id, rs.account_id)
                         order by rs.last_read_seq desc, rs.account_id)
        from workflow_chat.chat_read_state rs
        where rs.session_id = p_session_id), '[]'::jsonb);
end;
$$;

-- ===========================================================================
-- Second-line policies: members read their workflows' chat rows
-- ===========================================================================

create policy chat_session_member_read on workflow_chat.chat_session for select to authenticated
    using (workflow_chat.claims_role((select auth.jwt()), workflow_id) is not null);
create policy chat_message_member_read on workflow_chat.chat_message for select to authenticated
    using (exists (select 1 from workflow_chat.chat_session s
                   where s.id = chat_message.session_id
                     and workflow_chat.claims_role((select auth.jwt()), s.workflow_id) is not null));
create policy chat_reaction_member_read on workflow_chat.chat_reaction for select to authenticated
    using (exists (select 1 from workflow_chat.chat_message m
                   join workflow_chat.chat_session s on s.id = m.session_id
                   where m.id = chat_reaction.message_id
                     and workflow_chat.claims_role((select auth.jwt()), s.workflow_id) is not null));
create policy chat_read_state_member_read on workflow_chat.chat_read_state for select to authenticated
    using (exists (select 1 from workflow_chat.chat_session s
                   where s.id = chat_read_state.session_id
                     and workflow_chat.claims_role((select auth.jwt()), s.workflow_id) is not null));

-- ===========================================================================
-- Grants
-- ===========================================================================

revoke all on function workflow_chat.attachment_mime_types() from public;
revoke all on function workflow_chat.mime_type_allowed(text) from public;
revoke all on function workflow_chat.preview_text(text) from public;
revoke all on function workflow_chat.message_preview_json(uuid, bigint) from public;
revoke all on function workflow_chat.message_json(workflow_chat.chat_message, uuid) from public;
revoke all on function workflow_chat.session_json(workflow_chat.chat_session, uuid) from public;
revoke all on function workflow_chat.read_state_json(uuid, uuid) from public;
revoke all on function workflow_chat.publish(text, text, jsonb) from public;
revoke all on function workflow_chat.session_for(uuid, uuid, workflow_chat.workflow_role) from public;
revoke all on function workflow_chat.check_limit(integer, integer) from public;
revoke all on function workflow_chat.check_metadata(jsonb) from public;
revoke all on function workflow_chat.create_session(uuid, text, jsonb) from public;
revoke all on function workflow_chat.get_session(uuid) from public;
revoke all on function workflow_chat.list_sessions(uuid, timestamptz, uuid, integer, boolean) from public;
revoke all on function workflow_chat.publish_session_change(workflow_chat.chat_session) from public;
revoke all on function workflow_chat.session_for_change(uuid, uuid) from public;
revoke all on function workflow_chat.update_session(uuid, text, jsonb) from public;
revoke all on function workflow_chat.archive_session(uuid, boolean) from public;
revoke all on function workflow_chat.send_message(uuid, uuid, text, text, jsonb, uuid) from public;
revoke all on function workflow_chat.get_messages(uuid, bigint, bigint, integer) from public;
revoke all on function workflow_chat.message_for(uuid, uuid, workflow_chat.workflow_role) from public;
revoke all on function workflow_chat.publish_message_change(workflow_chat.chat_message, text, text) from public;
revoke all on function workflow_chat.session_is_archived(uuid) from public;
revoke all on function workflow_chat.edit_message(uuid, text) from public;
revoke all on function workflow_chat.delete_message(uuid) from public;
revoke all on function workflow_chat.toggle_reaction(uuid, text) from public;
revoke all on function workflow_chat.mark_read(uuid, bigint) from public;
revoke all on function workflow_chat.list_read_states(uuid) from public;

grant execute on function workflow_chat.create_session(uuid, text, jsonb) to anon, authenticated;
grant execute on function workflow_chat.get_session(uuid) to anon, authenticated;
grant execute on function workflow_chat.list_sessions(uuid, timestamptz, uuid, integer, boolean) to anon, authenticated;
grant execute on function workflow_chat.update_session(uuid, text, jsonb) to anon, authenticated;
grant execute on function workflow_chat.archive_session(uuid, boolean) to anon, authenticated;
grant execute on function workflow_chat.send_message(uuid, uuid, text, text, jsonb, uuid) to anon, authenticated;
grant execute on function workflow_chat.get_messages(uuid, bigint, bigint, integer) to anon, authenticated;
grant execute on function workflow_chat.edit_message(uuid, text) to anon, authenticated;
grant execute on function workflow_chat.delete_message(uuid) to anon, authenticated;
grant execute on function workflow_chat.toggle_reaction(uuid, text) to anon, authenticated;
grant execute on function workflow_chat.mark_read(uuid, bigint) to anon, authenticated;
grant execute on function workflow_chat.list_read_states(uuid) to anon, authenticated;
