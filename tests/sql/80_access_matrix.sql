-- Access matrix: every public wc_* function x every kind of caller, with the
-- exact outcome (SQLSTATE, or OK). Callers: no token (anon key), malformed
-- claims, bad signature, expired token, revoked token, an account outside the
-- workflow, viewer, member, admin, owner. Each call runs in its own
-- subtransaction and is undone, so every cell starts from the same state.
begin;
\ir helpers/caller.psql
select plan(35);

select tests.new_account('owner'), tests.new_account('admin'), tests.new_account('member'),
       tests.new_account('viewer'), tests.new_account('outsider'), tests.new_account('victim'),
       tests.new_account('candidate'), tests.new_account('expired'), tests.new_account('revoked'),
       tests.new_account('badsig');

-- Fixture: one workflow with every role, a session created by the member, a
-- message written by the member.
create table tests.fx (key text primary key, val text);
grant all on tests.fx to public;
select tests.act_as('owner');
insert into tests.fx select 'workflow', public.wc_create_workflow('Matrix') ->> 'id';
select public.wc_add_member((select val::uuid from tests.fx where key = 'workflow'), h || '@example.test', r)
from (values ('admin', 'admin'), ('member', 'member'), ('viewer', 'viewer'), ('victim', 'member'),
             ('expired', 'owner'), ('revoked', 'owner'), ('badsig', 'owner')) v(h, r);
select tests.act_as('member');
insert into tests.fx select 'session', public.wc_create_session((select val::uuid from tests.fx where key = 'workflow'), 'S') ->> 'id';
insert into tests.fx select 'message', public.wc_send_message((select val::uuid from tests.fx where key = 'session'),
                                                              gen_random_uuid(), 'text', 'hello') ->> 'id';
select tests.act_as_postgres();

-- Broken callers (all of them owners of the workflow, so only the token is wrong).
update workflow_chat.auth_tokens set expires_at = now() - interval '1 second',
                                     issued_at = now() - interval '2 hours'
where jti = tests.jti('expired');
update workflow_chat.auth_tokens set revoked_at = now() - interval '1 second' where jti = tests.jti('revoked');

create function tests.act_as_kind(p_kind text) returns void language plpgsql as $$
declare
    v_token text;
begin
    case p_kind
    when 'none' then perform tests.act_as_anon();
    when 'malformed' then
        perform tests.act_as_token('not.a.jwt', '{"role":"authenticated","sub":"not-a-uuid","jti":"nope"}');
    when 'badsig' then
        -- Same claims as a live token, signature of another secret.
        v_token := tests.token('badsig');
        perform tests.act_as_token(split_part(v_token, '.', 1) || '.' || split_part(v_token, '.', 2) || '.'
                                   || translate(encode(extensions.hmac('x', 'another-secret', 'sha256'), 'base64'), '+/=', '-_'),
                                   tests.claims_of(v_token));
    when 'expired' then
        v_token := tests.token('expired');
        perform tests.act_as_token(v_token, tests.claims_of(v_token)
                                   || jsonb_build_object('exp', floor(extract(epoch from now())) - 10));
    else perform tests.act_as(p_kind);
    end case;
end;
$$;

create function tests.fill(p_template text, p_kind text) returns text language sql stable as $$
    select replace(replace(replace(replace(replace(replace(p_template,
        '{workflow}', quote_literal((select val from tests.fx where key = 'workflow'))),
        '{session}', quote_literal((select val from tests.fx where key = 'session'))),
        '{message}', quote_literal((select val from tests.fx where key = 'message'))),
        '{victim}', quote_literal(tests.account('victim'))),
        '{jti}', quote_literal(coalesce(tests.jti(p_kind), gen_random_uuid()))),
        '{uuid}', quote_literal(gen_random_uuid()))
$$;

-- One cell: the outcome of a call as one kind of caller.
create function tests.cell(p_template text, p_kind text) returns text language plpgsql as $$
declare
    v_outcome text;
begin
    begin
        perform tests.act_as_kind(p_kind);
        execute 'select ' || tests.fill(p_template, p_kind);
        raise exception using errcode = 'TOKOK';
    exception
        when others then
            v_outcome := case when sqlstate = 'TOKOK' then 'OK' else sqlstate end;
    end;
    return v_outcome;
end;
$$;

create function tests.row_of(p_template text) returns text language sql as $$
    select string_agg(tests.cell(p_template, k), ' ' order by n)
    from unnest(array['none', 'malformed', 'badsig', 'expired', 'revoked', 'outsider',
                      'viewer', 'member', 'admin', 'owner']) with ordinality as t(k, n)
$$;

-- Columns: none malformed badsig expired revoked outsider viewer member admin owner
create table tests.matrix (fn text, call text, expected text);
insert into tests.matrix values
('wc_register', $$public.wc_register('new@example.test', 'password-new', 'New')$$,
    'OK OK OK OK OK OK OK OK OK OK'),
('wc_login', $$public.wc_login('member@example.test', 'password-member')$$,
    'OK OK OK OK OK OK OK OK OK OK'),
('wc_logout', $$public.wc_logout()$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_refresh', $$public.wc_refresh()$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_me', $$public.wc_me()$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_update_profile', $$public.wc_update_profile('Renamed')$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_list_tokens', $$public.wc_list_tokens()$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_revoke_token', $$public.wc_revoke_token({jti})$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_issue_token', $$public.wc_issue_token('ext-1')$$,
    '42501 42501 42501 42501 42501 42501 42501 42501 42501 42501'),
('wc_create_workflow', $$public.wc_create_workflow('Another')$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_list_workflows', $$public.wc_list_workflows()$$,
    'PT401 PT401 PT401 PT401 PT401 OK OK OK OK OK'),
('wc_get_workflow', $$public.wc_get_workflow({workflow})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_update_workflow', $$public.wc_update_workflow({workflow}, 'Renamed')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 OK OK'),
('wc_set_webhook', $$public.wc_set_webhook({workflow}, 'https://hooks.example.test/in', 'a-secret-of-16-chars')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 OK OK'),
('wc_delete_workflow', $$public.wc_delete_workflow({workflow})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 PT403 OK'),
('wc_list_members', $$public.wc_list_members({workflow})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_add_member', $$public.wc_add_member({workflow}, 'candidate@example.test', 'viewer')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 OK OK'),
('wc_set_member_role', $$public.wc_set_member_role({workflow}, {victim}, 'viewer')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 OK OK'),
('wc_remove_member', $$public.wc_remove_member({workflow}, {victim})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 OK OK'),
('wc_create_session', $$public.wc_create_session({workflow}, 'Title')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK OK OK'),
('wc_get_session', $$public.wc_get_session({session})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_list_sessions', $$public.wc_list_sessions({workflow})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_update_session', $$public.wc_update_session({session}, 'New title')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK OK OK'),
('wc_archive_session', $$public.wc_archive_session({session})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK OK OK'),
('wc_send_message', $$public.wc_send_message({session}, {uuid}, 'text', 'hi')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK OK OK'),
('wc_get_messages', $$public.wc_get_messages({session})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_edit_message', $$public.wc_edit_message({message}, 'edited')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK PT403 PT403'),
('wc_delete_message', $$public.wc_delete_message({message})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK OK OK'),
('wc_toggle_reaction', $$public.wc_toggle_reaction({message}, '👍')$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 OK OK OK'),
('wc_mark_read', $$public.wc_mark_read({session}, 1)$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_list_read_states', $$public.wc_list_read_states({session})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 OK OK OK OK'),
('wc_list_webhook_deliveries', $$public.wc_list_webhook_deliveries({workflow})$$,
    'PT401 PT401 PT401 PT401 PT401 PT404 PT403 PT403 OK OK'),
('wc_process_webhooks', $$public.wc_process_webhooks()$$,
    '42501 42501 42501 42501 42501 42501 42501 42501 42501 42501');

-- The matrix covers exactly the API.
select set_eq(
    $$select fn from tests.matrix$$,
    $$select p.proname::text from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname like 'wc\_%'$$,
    'the matrix lists every public wc_* function');

select is(tests.row_of(m.call), m.expected, m.fn || ': none malformed badsig expired revoked outsider viewer member admin owner')
from tests.matrix m order by m.fn;

-- The service functions do work with the service key.
select tests.act_as_service();
select is(tests.outcome($$select public.wc_issue_token('ext-1', 'ext@example.test', 'Ext')$$), 'OK',
          'wc_issue_token: service_role may call it');

select * from finish();
rollback;
