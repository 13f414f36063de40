-- The second line of defence: RLS policies on the private tables. The API
-- roles hold no table privilege, so these policies only matter if someone
-- grants one; this file grants SELECT on every table for the length of its
-- transaction and checks that each caller then sees exactly the rows the
-- API would show them, and that a revoked token sees nothing.
begin;
\ir helpers/caller.psql
select plan(16);

select tests.new_account('olga'), tests.new_account('mia'), tests.new_account('vic'), tests.new_account('eve');
create temp table fx (k text primary key, v uuid);
grant all on fx to public;
create function pg_temp.fx(p_k text) returns uuid language sql as $$ select v from fx where k = p_k $$;

select tests.act_as('olga');
insert into fx select 'wf', (public.wc_create_workflow('Shared') ->> 'id')::uuid;
select public.wc_add_member(pg_temp.fx('wf'), 'mia@example.test', 'member');
select public.wc_add_member(pg_temp.fx('wf'), 'vic@example.test', 'viewer');
select public.wc_set_webhook(pg_temp.fx('wf'), 'https://hooks.example.test/rls', 'sixteen-chars-secret');
insert into fx select 's', (public.wc_create_session(pg_temp.fx('wf'), 'Shared session') ->> 'id')::uuid;
select tests.act_as('mia');
insert into fx select 'm', (public.wc_send_message(pg_temp.fx('s'), gen_random_uuid(), 'text', 'hello') ->> 'id')::uuid;
select public.wc_toggle_reaction(pg_temp.fx('m'), '👋');
select tests.act_as('eve');
insert into fx select 'eve_wf', (public.wc_create_workflow('Private') ->> 'id')::uuid;
select public.wc_create_session(pg_temp.fx('eve_wf'), 'Eve alone');
select tests.act_as_anon();
select public.wc_login('mia@example.test', 'not her password');

select tests.act_as_postgres();
grant select on all tables in schema workflow_chat to authenticated;

-- Rows of each table visible to a caller, as "table:count" in a fixed order.
create function pg_temp.visible() returns text language sql as $$
    select concat_ws(' ',
        'account:' || (select count(*) from workflow_chat.account),
        'userprofile:' || (select count(*) from workflow_chat.userprofile),
        'auth_tokens:' || (select count(*) from workflow_chat.auth_tokens),
        'login_attempt:' || (select count(*) from workflow_chat.login_attempt),
        'workflow:' || (select count(*) from workflow_chat.workflow),
        'workflow_access:' || (select count(*) from workflow_chat.workflow_access),
        'chat_session:' || (select count(*) from workflow_chat.chat_session),
        'chat_message:' || (select count(*) from workflow_chat.chat_message),
        'chat_reaction:' || (select count(*) from workflow_chat.chat_reaction),
        'chat_read_state:' || (select count(*) from workflow_chat.chat_read_state),
        'webhook_delivery:' || (select count(*) from workflow_chat.webhook_delivery))
$$;

select tests.act_as('olga');
select is(pg_temp.visible(),
          'account:1 userprofile:3 auth_tokens:1 login_attempt:0 workflow:1 workflow_access:3 chat_session:1 '
          'chat_message:1 chat_reaction:1 chat_read_state:1 webhook_delivery:2',
          'owner: own identity, the co-members'' profiles, the workflow''s chat rows and delivery log');
select tests.act_as('mia');
select is(pg_temp.visible(),
          'account:1 userprofile:3 auth_tokens:1 login_attempt:1 workflow:1 workflow_access:3 chat_session:1 '
          'chat_message:1 chat_reaction:1 chat_read_state:1 webhook_delivery:0',
          'member: the same chat rows, the failed login against her email, no delivery log');
select tests.act_as('vic');
select is(pg_temp.visible(),
          'account:1 userprofile:3 auth_tokens:1 login_attempt:0 workflow:1 workflow_access:3 chat_session:1 '
          'chat_message:1 chat_reaction:1 chat_read_state:1 webhook_delivery:0',
          'viewer: reads the chat rows');
select tests.act_as('eve');
select is(pg_temp.visible(),
          'account:1 userprofile:1 auth_tokens:1 login_attempt:0 workflow:1 workflow_access:1 chat_session:1 '
          'chat_message:0 chat_reaction:0 chat_read_state:0 webhook_delivery:0',
          'outsider: only her own workflow and profile');
select is((select count(*)::int from workflow_chat.chat_session where workflow_id = pg_temp.fx('wf')), 0,
          'outsider: none of the other workflow''s sessions');
select is((select array_agg(display_name order by display_name) from workflow_chat.userprofile), array['Eve'],
          'outsider: no stranger''s profile');

select tests.act_as('mia');
select is((select array_agg(display_name order by display_name) from workflow_chat.userprofile),
          array['Mia', 'Olga', 'Vic'], 'member: her own profile and the co-members''');
select is((select account_id from workflow_chat.auth_tokens), tests.account('mia'), 'member: only her own token row');

-- A dead token sees nothing.
select tests.act_as_postgres();
update workflow_chat.auth_tokens set revoked_at = now() - interval '1 second' where jti = tests.jti('mia');
select tests.act_as('mia');
select is(pg_temp.visible(),
          'account:0 userprofile:0 auth_tokens:0 login_attempt:0 workflow:0 workflow_access:0 chat_session:0 '
          'chat_message:0 chat_reaction:0 chat_read_state:0 webhook_delivery:0',
          'a revoked token sees no row of any table');

-- Claims without a live token row (e.g. a token minted elsewhere with the same secret).
select tests.act_as_token(tests.token('olga'), tests.claims_of(tests.token('olga')) || jsonb_build_object('jti', gen_random_uuid()));
select is(pg_temp.visible(),
          'account:0 userprofile:0 auth_tokens:0 login_attempt:0 workflow:0 workflow_access:0 chat_session:0 '
          'chat_message:0 chat_reaction:0 chat_read_state:0 webhook_delivery:0',
          'claims naming an unknown token see no row');

-- anon and service_role hold no privilege at all.
select tests.act_as_postgres();
select is_empty($$select c.oid::regclass || ' ' || r from pg_class c
                  cross join unnest(array['anon', 'service_role']) r
                  where c.relnamespace = 'workflow_chat'::regnamespace and c.relkind = 'r'
                    and has_table_privilege(r, c.oid, 'select')$$,
                'anon and service_role still have no privilege on any table');

-- Writes are never allowed by policy, even with a grant.
grant insert, update, delete on all tables in schema workflow_chat to authenticated;
select tests.act_as('olga');
select throws_ok(format($$insert into workflow_chat.workflow_access (workflow_id, account_id, role) values (%L, %L, 'owner')$$,
                        pg_temp.fx('eve_wf'), tests.account('olga')),
                 '42501', null, 'no policy lets a caller insert a membership');
select is((select count(*)::int from (select 1 from workflow_chat.chat_message) x), 1, 'reads still work');
with d as (delete from workflow_chat.chat_message returning 1) select is((select count(*)::int from d), 0,
          'no policy lets a caller delete messages');
with u as (update workflow_chat.workflow set name = 'Hijacked' returning 1) select is((select count(*)::int from u), 0,
          'no policy lets a caller update a workflow');
with u as (update workflow_chat.auth_tokens set revoked_at = null returning 1) select is((select count(*)::int from u), 0,
          'no policy lets a caller un-revoke tokens');

select * from finish();
rollback;
