-- workflow-chat, migration 8: the API.
--
-- The functions PostgREST exposes: thin SECURITY INVOKER wrappers in schema
-- public, all named wc_*, over the SECURITY DEFINER core functions of schema
-- workflow_chat (which resolve the caller and decide access). Nothing
-- SECURITY DEFINER is callable in an exposed schema. Every wrapper starts with
-- no EXECUTE for anyone (Supabase's default privileges in public would grant
-- it to anon, authenticated and service_role) and is granted to exactly the
-- roles listed: user functions to anon and authenticated (anon calls get a
-- clear PT401 from the core), service functions to service_role.
--
-- Contract: docs/api.md.

create function public.wc_register(email text, password text, display_name text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.register(email, password, display_name)
$$;
comment on function public.wc_register(text, text, text) is 'Creates a password account and returns a token. See docs/api.md.';
revoke all on function public.wc_register(text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_register(text, text, text) to anon, authenticated;

create function public.wc_login(email text, password text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.login(email, password)
$$;
comment on function public.wc_login(text, text) is 'Password login; returns a token (HTTP 401 body on wrong credentials). See docs/api.md.';
revoke all on function public.wc_login(text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_login(text, text) to anon, authenticated;

create function public.wc_logout()
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.logout()
$$;
comment on function public.wc_logout() is 'Revokes the caller''s current token. See docs/api.md.';
revoke all on function public.wc_logout() from public, anon, authenticated, service_role;
grant execute on function public.wc_logout() to anon, authenticated;

create function public.wc_refresh()
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.refresh()
$$;
comment on function public.wc_refresh() is 'Issues a new token; the current one stays valid for 60 seconds. See docs/api.md.';
revoke all on function public.wc_refresh() from public, anon, authenticated, service_role;
grant execute on function public.wc_refresh() to anon, authenticated;

create function public.wc_me()
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.me()
$$;
comment on function public.wc_me() is 'The caller''s account. See docs/api.md.';
revoke all on function public.wc_me() from public, anon, authenticated, service_role;
grant execute on function public.wc_me() to anon, authenticated;

create function public.wc_update_profile(display_name text default null, avatar_url text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.update_profile(display_name, avatar_url)
$$;
comment on function public.wc_update_profile(text, text) is 'Changes the caller''s display name and avatar. See docs/api.md.';
revoke all on function public.wc_update_profile(text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_update_profile(text, text) to anon, authenticated;

create function public.wc_list_tokens()
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.list_tokens()
$$;
comment on function public.wc_list_tokens() is 'The caller''s tokens of the last 30 days. See docs/api.md.';
revoke all on function public.wc_list_tokens() from public, anon, authenticated, service_role;
grant execute on function public.wc_list_tokens() to anon, authenticated;

create function public.wc_revoke_token(jti uuid)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.revoke_token(jti)
$$;
comment on function public.wc_revoke_token(uuid) is 'Revokes one of the caller''s tokens. See docs/api.md.';
revoke all on function public.wc_revoke_token(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_revoke_token(uuid) to anon, authenticated;

create function public.wc_issue_token(external_id text, email text default null, display_name text default null, ttl_seconds integer default 3600)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.issue_external_token(external_id, email, display_name, ttl_seconds)
$$;
comment on function public.wc_issue_token(text, text, text, integer) is 'service_role only: a token for a host site''s user, by external id. See docs/api.md.';
revoke all on function public.wc_issue_token(text, text, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.wc_issue_token(text, text, text, integer) to service_role;

create function public.wc_create_workflow(name text, description text default '')
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.create_workflow(name, description)
$$;
comment on function public.wc_create_workflow(text, text) is 'Creates a workflow owned by the caller. See docs/api.md.';
revoke all on function public.wc_create_workflow(text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_create_workflow(text, text) to anon, authenticated;

create function public.wc_list_workflows()
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.list_workflows()
$$;
comment on function public.wc_list_workflows() is 'The caller''s workflows. See docs/api.md.';
revoke all on function public.wc_list_workflows() from public, anon, authenticated, service_role;
grant execute on function public.wc_list_workflows() to anon, authenticated;

create function public.wc_get_workflow(workflow_id uuid)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.get_workflow(workflow_id)
$$;
comment on function public.wc_get_workflow(uuid) is 'One workflow (viewer+). See docs/api.md.';
revoke all on function public.wc_get_workflow(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_get_workflow(uuid) to anon, authenticated;

create function public.wc_update_workflow(workflow_id uuid, name text default null, description text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.update_workflow(workflow_id, name, description)
$$;
comment on function public.wc_update_workflow(uuid, text, text) is 'Renames or redescribes a workflow (admin+). See docs/api.md.';
revoke all on function public.wc_update_workflow(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_update_workflow(uuid, text, text) to anon, authenticated;

create function public.wc_set_webhook(workflow_id uuid, url text, secret text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.set_webhook(workflow_id, url, secret)
$$;
comment on function public.wc_set_webhook(uuid, text, text) is 'Sets or removes the workflow''s webhook (admin+). See docs/api.md.';
revoke all on function public.wc_set_webhook(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_set_webhook(uuid, text, text) to anon, authenticated;

create function public.wc_delete_workflow(workflow_id uuid)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.delete_workflow(workflow_id)
$$;
comment on function public.wc_delete_workflow(uuid) is 'Deletes a workflow (owner). See docs/api.md.';
revoke all on function public.wc_delete_workflow(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_delete_workflow(uuid) to anon, authenticated;

create function public.wc_list_members(workflow_id uuid)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.list_members(workflow_id)
$$;
comment on function public.wc_list_members(uuid) is 'Members of a workflow (viewer+). See docs/api.md.';
revoke all on function public.wc_list_members(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_list_members(uuid) to anon, authenticated;

create function public.wc_add_member(workflow_id uuid, email text, role text default 'member')
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.add_member(workflow_id, email, role)
$$;
comment on function public.wc_add_member(uuid, text, text) is 'Adds an account by email (admin+; owners for admin/owner). See docs/api.md.';
revoke all on function public.wc_add_member(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_add_member(uuid, text, text) to anon, authenticated;

create function public.wc_set_member_role(workflow_id uuid, account_id uuid, role text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.set_member_role(workflow_id, account_id, role)
$$;
comment on function public.wc_set_member_role(uuid, uuid, text) is 'Changes a member''s role within the caller''s powers. See docs/api.md.';
revoke all on function public.wc_set_member_role(uuid, uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_set_member_role(uuid, uuid, text) to anon, authenticated;

create function public.wc_remove_member(workflow_id uuid, account_id uuid)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.remove_member(workflow_id, account_id)
$$;
comment on function public.wc_remove_member(uuid, uuid) is 'Removes a member, or leaves. See docs/api.md.';
revoke all on function public.wc_remove_member(uuid, uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_remove_member(uuid, uuid) to anon, authenticated;

create function public.wc_create_session(workflow_id uuid, title text, metadata jsonb default '{}')
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.create_session(workflow_id, title, metadata)
$$;
comment on function public.wc_create_session(uuid, text, jsonb) is 'Creates a chat session (member+). See docs/api.md.';
revoke all on function public.wc_create_session(uuid, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.wc_create_session(uuid, text, jsonb) to anon, authenticated;

create function public.wc_get_session(session_id uuid)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.get_session(session_id)
$$;
comment on function public.wc_get_session(uuid) is 'One session with the caller''s unread count (viewer+). See docs/api.md.';
revoke all on function public.wc_get_session(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_get_session(uuid) to anon, authenticated;

create function public.wc_list_sessions(workflow_id uuid, before_activity timestamptz default null, before_id uuid default null, page_size integer default 30, include_archived boolean default false)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.list_sessions(workflow_id, before_activity, before_id, page_size, include_archived)
$$;
comment on function public.wc_list_sessions(uuid, timestamptz, uuid, integer, boolean) is 'A workflow''s sessions, newest activity first, keyset-paginated (viewer+). See docs/api.md.';
revoke all on function public.wc_list_sessions(uuid, timestamptz, uuid, integer, boolean) from public, anon, authenticated, service_role;
grant execute on function public.wc_list_sessions(uuid, timestamptz, uuid, integer, boolean) to anon, authenticated;

create function public.wc_update_session(session_id uuid, title text default null, metadata jsonb default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.update_session(session_id, title, metadata)
$$;
comment on function public.wc_update_session(uuid, text, jsonb) is 'Renames a session or replaces its metadata (creator or admin+). See docs/api.md.';
revoke all on function public.wc_update_session(uuid, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.wc_update_session(uuid, text, jsonb) to anon, authenticated;

create function public.wc_archive_session(session_id uuid, archived boolean default true)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.archive_session(session_id, archived)
$$;
comment on function public.wc_archive_session(uuid, boolean) is 'Archives or restores a session (creator or admin+). See docs/api.md.';
revoke all on function public.wc_archive_session(uuid, boolean) from public, anon, authenticated, service_role;
grant execute on function public.wc_archive_session(uuid, boolean) to anon, authenticated;

create function public.wc_send_message(session_id uuid, client_id uuid, kind text default 'text', body text default null, attachment jsonb default null, reply_to uuid default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.send_message(session_id, client_id, kind, body, attachment, reply_to)
$$;
comment on function public.wc_send_message(uuid, uuid, text, text, jsonb, uuid) is 'Sends a message, idempotent on client_id (member+). See docs/api.md.';
revoke all on function public.wc_send_message(uuid, uuid, text, text, jsonb, uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_send_message(uuid, uuid, text, text, jsonb, uuid) to anon, authenticated;

create function public.wc_get_messages(session_id uuid, before_seq bigint default null, after_seq bigint default null, page_size integer default 50)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.get_messages(session_id, before_seq, after_seq, page_size)
$$;
comment on function public.wc_get_messages(uuid, bigint, bigint, integer) is 'A page of messages in ascending seq order (viewer+). See docs/api.md.';
revoke all on function public.wc_get_messages(uuid, bigint, bigint, integer) from public, anon, authenticated, service_role;
grant execute on function public.wc_get_messages(uuid, bigint, bigint, integer) to anon, authenticated;

create function public.wc_edit_message(message_id uuid, body text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.edit_message(message_id, body)
$$;
comment on function public.wc_edit_message(uuid, text) is 'Edits the caller''s own message. See docs/api.md.';
revoke all on function public.wc_edit_message(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_edit_message(uuid, text) to anon, authenticated;

create function public.wc_delete_message(message_id uuid)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.delete_message(message_id)
$$;
comment on function public.wc_delete_message(uuid) is 'Soft-deletes a message (author or admin+). See docs/api.md.';
revoke all on function public.wc_delete_message(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_delete_message(uuid) to anon, authenticated;

create function public.wc_toggle_reaction(message_id uuid, emoji text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.toggle_reaction(message_id, emoji)
$$;
comment on function public.wc_toggle_reaction(uuid, text) is 'Adds or removes the caller''s reaction (member+). See docs/api.md.';
revoke all on function public.wc_toggle_reaction(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.wc_toggle_reaction(uuid, text) to anon, authenticated;

create function public.wc_mark_read(session_id uuid, seq bigint)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.mark_read(session_id, seq)
$$;
comment on function public.wc_mark_read(uuid, bigint) is 'Moves the caller''s read position forward (viewer+). See docs/api.md.';
revoke all on function public.wc_mark_read(uuid, bigint) from public, anon, authenticated, service_role;
grant execute on function public.wc_mark_read(uuid, bigint) to anon, authenticated;

create function public.wc_list_read_states(session_id uuid)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.list_read_states(session_id)
$$;
comment on function public.wc_list_read_states(uuid) is 'Everyone''s read position in a session (viewer+). See docs/api.md.';
revoke all on function public.wc_list_read_states(uuid) from public, anon, authenticated, service_role;
grant execute on function public.wc_list_read_states(uuid) to anon, authenticated;

create function public.wc_list_webhook_deliveries(workflow_id uuid, before_created_at timestamptz default null, before_id uuid default null, page_size integer default 50)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.list_webhook_deliveries(workflow_id, before_created_at, before_id, page_size)
$$;
comment on function public.wc_list_webhook_deliveries(uuid, timestamptz, uuid, integer) is 'The workflow''s webhook delivery log (admin+). See docs/api.md.';
revoke all on function public.wc_list_webhook_deliveries(uuid, timestamptz, uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.wc_list_webhook_deliveries(uuid, timestamptz, uuid, integer) to anon, authenticated;

create function public.wc_process_webhooks()
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
    select workflow_chat.process_webhook_deliveries()
$$;
comment on function public.wc_process_webhooks() is 'service_role only: one round of webhook sending and retrying. See docs/api.md.';
revoke all on function public.wc_process_webhooks() from public, anon, authenticated, service_role;
grant execute on function public.wc_process_webhooks() to service_role;
