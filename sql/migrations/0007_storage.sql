-- workflow-chat, migration 7: the attachments bucket and who may use it.
--
-- Objects live at <workflow id>/<session id>/<uuid>/<file name> in the private
-- bucket wc-attachments, so the policies can apply the workflow role rule to
-- the path: members upload into sessions of their workflows, viewers read,
-- uploaders (or admins) delete, nobody overwrites.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('wc-attachments', 'wc-attachments', false, 26214400, workflow_chat.attachment_mime_types())
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

create function workflow_chat.attachment_allowed(
    p_claims jsonb,
    p_name text,
    p_action text,
    p_owner_id text default null
)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_parts text[] := string_to_array(p_name, '/');
    v_session workflow_chat.chat_session;
    v_role workflow_chat.workflow_role;
begin
    if cardinality(v_parts) <> 4 or v_parts[4] = ''
       or not (workflow_chat.is_uuid(v_parts[1]) and workflow_chat.is_uuid(v_parts[2])
               and workflow_chat.is_uuid(v_parts[3])) then
        return false;
    end if;
    select * into v_session from workflow_chat.chat_session s
    where s.id = v_parts[2]::uuid and s.workflow_id = v_parts[1]::uuid;
    if not found then
        return false;
    end if;
    v_role := workflow_chat.claims_role(p_claims, v_session.workflow_id);
    return case p_action
        when 'read' then v_role >= 'viewer'
        when 'upload' then v_role >= 'member' and v_session.archived_at is null
        when 'delete' then v_role >= 'admin'
                           or (v_role >= 'member' and p_owner_id = (p_claims ->> 'sub'))
        else false
    end;
end;
$$;
comment on function workflow_chat.attachment_allowed(jsonb, text, text, text) is
    'Storage authorization for wc-attachments objects: read (viewer+), upload (member+, open session), '
    'delete (uploader or admin+).';

create policy wc_attachments_read on storage.objects
    for select to authenticated
    using (bucket_id = 'wc-attachments'
           and coalesce(workflow_chat.attachment_allowed((select auth.jwt()), name, 'read'), false));

create policy wc_attachments_upload on storage.objects
    for insert to authenticated
    with check (bucket_id = 'wc-attachments'
                and coalesce(workflow_chat.attachment_allowed((select auth.jwt()), name, 'upload'), false));

create policy wc_attachments_delete on storage.objects
    for delete to authenticated
    using (bucket_id = 'wc-attachments'
           and coalesce(workflow_chat.attachment_allowed((select auth.jwt()), name, 'delete', owner_id), false));

revoke all on function workflow_chat.attachment_allowed(jsonb, text, text, text) from public;
grant execute on function workflow_chat.attachment_allowed(jsonb, text, text, text) to authenticated;
