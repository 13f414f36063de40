-- Catalog checks: the properties Supabase's database advisor (splinter) lints
-- for must hold for everything the migrations create, plus exact EXECUTE
-- grants and a clean plpgsql_check of every PL/pgSQL function.
--   0028/0029 no SECURITY DEFINER function executable by anon/authenticated
--             in an exposed schema
--   0011      every function has a fixed search_path
--   0013      RLS on every table (ours, and any table in an exposed schema)
--   0003      policies call auth.*() / current_setting() through a subselect
--   0024      no always-true permissive policy
--   0006      at most one permissive policy per table, role and action
--   0008      every table with RLS has at least one policy
--   0001      every foreign key has a covering index
--   0009      no duplicate indexes
begin;
\ir helpers/caller.psql
create extension if not exists plpgsql_check;
select plan(18);

-- Our functions: the private schema, and the API in public.
create temp view our_functions as
select p.oid, p.proname, n.nspname, p.prosecdef, p.proconfig, p.proacl, p.proowner, p.prorettype, l.lanname
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where n.nspname = 'workflow_chat' or (n.nspname = 'public' and p.proname like 'wc\_%');

create temp view our_policies as
select * from pg_policies
where schemaname = 'workflow_chat'
   or (schemaname in ('realtime', 'storage') and policyname like 'wc\_%');

-- 0028/0029
select is_empty($$
    select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'graphql_public') and p.prosecdef
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))$$,
    '0028/0029: no SECURITY DEFINER function callable by anon/authenticated in an exposed schema');
select is_empty($$select oid::regprocedure from our_functions where nspname = 'public' and prosecdef$$,
    'API functions are SECURITY INVOKER');
select is_empty($$select oid::regprocedure from our_functions where nspname = 'workflow_chat' and prosecdef
                  and not exists (select 1 from unnest(proconfig) c where c = 'search_path=""')$$,
    'every SECURITY DEFINER core function pins search_path to empty');

-- 0011
select is_empty($$select oid::regprocedure from our_functions
                  where not exists (select 1 from unnest(proconfig) c where c like 'search_path=%')$$,
    '0011: every function sets search_path');

-- 0013 and REST reachability
select is_empty($$select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where c.relkind in ('r', 'p') and not c.relrowsecurity
                    and n.nspname in ('workflow_chat', 'public', 'graphql_public')$$,
    '0013: RLS is enabled on every table of ours and of the exposed schemas');
select is_empty($$select c.oid::regclass || ' ' || r from pg_class c
                  cross join unnest(array['anon', 'authenticated', 'service_role']) r
                  where c.relnamespace = 'workflow_chat'::regnamespace and c.relkind in ('r', 'v', 'm', 'S')
                    and has_table_privilege(r, c.oid, 'select,insert,update,delete,truncate,references,trigger')$$,
    'no API role has any privilege on our tables, views or sequences');
select ok(not has_schema_privilege('anon', 'workflow_chat', 'create')
          and not has_schema_privilege('authenticated', 'workflow_chat', 'create'),
    'API roles cannot create objects in the private schema');

-- 0003
select is_empty($$select schemaname || '.' || tablename || ' ' || policyname from our_policies
                  cross join unnest(array['auth.uid()', 'auth.jwt()', 'auth.role()', 'auth.email()', 'current_setting(']) f
                  where (coalesce(qual, '') like '%' || f || '%' and lower(coalesce(qual, '')) not like '%select ' || f || '%')
                     or (coalesce(with_check, '') like '%' || f || '%' and lower(coalesce(with_check, '')) not like '%select ' || f || '%')$$,
    '0003: policies evaluate auth.*() and current_setting() once, through a subselect');

-- 0024
select is_empty($$select policyname from our_policies
                  where permissive = 'PERMISSIVE' and (btrim(coalesce(qual, '')) in ('true', '(true)')
                                                       or btrim(coalesce(with_check, '')) in ('true', '(true)'))$$,
    '0024: no always-true permissive policy');
-- 0006: permissive policies of one table for the same role and action are
-- all evaluated for every row; one policy per (table, role, action) instead.
select is_empty($$
    select schemaname || '.' || tablename || ' ' || r || ' ' || a
    from our_policies p
    cross join unnest(p.roles) r
    cross join unnest(case when p.cmd = 'ALL' then array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] else array[p.cmd] end) a
    where p.permissive = 'PERMISSIVE' and p.schemaname = 'workflow_chat'
    group by schemaname, tablename, r, a
    having count(*) > 1$$,
    '0006: no table of ours has two permissive policies for one role and action');

-- 0008
select is_empty($$select c.oid::regclass from pg_class c
                  where c.relnamespace = 'workflow_chat'::regnamespace and c.relkind in ('r', 'p') and c.relrowsecurity
                    and not exists (select 1 from pg_policy p where p.polrelid = c.oid)$$,
    '0008: every table of ours with RLS has a policy');

select ok((select count(*) from our_policies) >= 16, 'policies exist on our tables, realtime.messages and storage.objects');

-- 0001
select is_empty($$
    select con.conname from pg_constraint con
    where con.contype = 'f' and con.connamespace = 'workflow_chat'::regnamespace
      and not exists (
          select 1 from pg_index i
          where i.indrelid = con.conrelid
            and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] = con.conkey)$$,
    '0001: every foreign key has an index on its columns');

-- 0009
select is_empty($$
    select a.indexrelid::regclass || ' = ' || b.indexrelid::regclass
    from pg_index a join pg_index b on a.indrelid = b.indrelid and a.indexrelid < b.indexrelid
    join pg_class c on c.oid = a.indrelid
    where c.relnamespace = 'workflow_chat'::regnamespace
      and a.indkey::text = b.indkey::text and a.indclass::text = b.indclass::text
      and coalesce(pg_get_expr(a.indexprs, a.indrelid), '') = coalesce(pg_get_expr(b.indexprs, b.indrelid), '')
      and coalesce(pg_get_expr(a.indpred, a.indrelid), '') = coalesce(pg_get_expr(b.indpred, b.indrelid), '')$$,
    '0009: no duplicate indexes');

-- Exact EXECUTE grants.
select is_empty($$select oid::regprocedure from our_functions f cross join aclexplode(f.proacl) a
                  where a.grantee = 0 and a.privilege_type = 'EXECUTE'$$,
    'default EXECUTE (PUBLIC) is revoked from every function');
select set_eq($$select proname::text, a.grantee::regrole::text from our_functions f cross join aclexplode(f.proacl) a
                where a.grantee <> f.proowner and a.privilege_type = 'EXECUTE' and nspname = 'public'$$,
    $$select fn, r from (
        select p.proname::text as fn, unnest(case when p.proname in ('wc_issue_token', 'wc_process_webhooks')
                                                   then array['service_role'] else array['anon', 'authenticated'] end) r
        from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname like 'wc\_%') x$$,
    'API: user functions to anon and authenticated, service functions to service_role only');
select set_eq($$select proname::text || ' ' || a.grantee::regrole::text from our_functions f cross join aclexplode(f.proacl) a
                where a.grantee <> f.proowner and a.privilege_type = 'EXECUTE' and nspname = 'workflow_chat'$$,
    $$select unnest(array[
        'issue_external_token service_role', 'process_webhook_deliveries service_role',
        'token_account_id authenticated', 'claims_role authenticated', 'realtime_topic_allowed authenticated',
        'attachment_allowed authenticated'])
      union all
      select fn || ' ' || r from unnest(array['register', 'login', 'logout', 'refresh', 'me', 'update_profile',
        'list_tokens', 'revoke_token', 'create_workflow', 'list_workflows', 'get_workflow', 'update_workflow',
        'set_webhook', 'delete_workflow', 'list_members', 'add_member', 'set_member_role', 'remove_member',
        'create_session', 'get_session', 'list_sessions', 'update_session', 'archive_session', 'send_message',
        'get_messages', 'edit_message', 'delete_message', 'toggle_reaction', 'mark_read', 'list_read_states',
        'list_webhook_deliveries']) fn cross join unnest(array['anon', 'authenticated']) r$$,
    'core: exactly the functions the API and the policies need, to exactly those roles');

-- plpgsql_check
select is_empty($$
    select f.oid::regprocedure || ': ' || c.message
    from our_functions f
    cross join lateral plpgsql_check_function_tb(f.oid,
        case when f.prorettype = 'trigger'::regtype then 'workflow_chat.account'::regclass else 0 end) c
    where f.lanname = 'plpgsql' and c.level = 'error'$$,
    'plpgsql_check reports no error in any PL/pgSQL function');

select * from finish();
rollback;
