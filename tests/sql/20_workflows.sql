-- Workflows and members: create, read, update, webhook settings, delete, and
-- member management within each role's powers (admins up to member, owners
-- everything, anyone may leave, the last owner stays).
begin;
\ir helpers/caller.psql
select plan(23);

select tests.new_account('olga'), tests.new_account('adam'), tests.new_account('mia'), tests.new_account('vic');
create temp table fx (workflow uuid) on commit drop;
grant all on fx to public;

select tests.act_as('olga');
insert into fx select (public.wc_create_workflow('  Support  ', 'Customer chats') ->> 'id')::uuid;
select is(public.wc_get_workflow((select workflow from fx)) ->> 'name', 'Support', 'name is trimmed');
select is(public.wc_get_workflow((select workflow from fx)) ->> 'my_role', 'owner', 'the creator is owner');
select throws_ok($$select public.wc_create_workflow('')$$, 'PT400', 'too short', 'empty name refused');
select is(public.wc_add_member((select workflow from fx), 'adam@example.test', 'admin') ->> 'role', 'admin', 'owner adds an admin');
select is(public.wc_add_member((select workflow from fx), 'MIA@example.test') ->> 'role', 'member', 'default role is member');
select throws_ok(format($$select public.wc_add_member(%L, 'mia@example.test')$$, (select workflow from fx)),
                 'PT409', 'already a member', 'adding twice is a conflict');
select throws_ok(format($$select public.wc_add_member(%L, 'ghost@example.test')$$, (select workflow from fx)),
                 'PT404', 'account not found', 'unknown email');
select throws_ok(format($$select public.wc_add_member(%L, 'vic@example.test', 'boss')$$, (select workflow from fx)),
                 'PT400', 'invalid role', 'unknown role');

select tests.act_as('adam');
select is(public.wc_add_member((select workflow from fx), 'vic@example.test', 'viewer') ->> 'role', 'viewer', 'admin adds a viewer');
select throws_ok(format($$select public.wc_set_member_role(%L, %L, 'admin')$$, (select workflow from fx), tests.account('vic')),
                 'PT403', 'insufficient role', 'admin cannot promote to admin');
select is(public.wc_set_member_role((select workflow from fx), tests.account('vic'), 'member') ->> 'role', 'member',
          'admin promotes a viewer to member');
select throws_ok(format($$select public.wc_remove_member(%L, %L)$$, (select workflow from fx), tests.account('olga')),
                 'PT403', 'insufficient role', 'admin cannot remove the owner');
select is((public.wc_set_webhook((select workflow from fx), 'https://hooks.example.test/a', 'sixteen-chars-secret')) ->> 'webhook_url',
          'https://hooks.example.test/a', 'admin sets the webhook and sees its url');
select throws_ok(format($$select public.wc_set_webhook(%L, 'ftp://x', 'sixteen-chars-secret')$$, (select workflow from fx)),
                 'PT400', 'invalid url', 'non-http webhook url refused');

-- Webhooks are posted by the database server: no address on its own network.
set local workflow_chat.webhook_allow_private = 'off';
select is((select array_agg(u order by u) from unnest(array[
               'http://localhost/x', 'http://LocalHost./x', 'http://a.localhost/x', 'http://127.0.0.1:8080/x',
               'http://127.1/x', 'http://2130706433/x', 'http://0x7f000001/x', 'http://0177.0.0.1/x',
               'http://10.1.2.3/x', 'http://172.20.0.1/x', 'http://192.168.1.1/x', 'http://100.64.0.1/x',
               'http://169.254.169.254/latest/meta-data', 'http://0.0.0.0/x', 'https://metadata.google.internal/x',
               'http://printer.local/x', 'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[fd00::1]/x',
               'http://[fe80::1%25eth0]/x', 'http://hooks.example.test@127.0.0.1/x', 'http://user:pw@hooks.example.test/x',
               'http://hooks.example.test\@127.0.0.1/x', 'http://hooks.example.test:99999999/x', 'http://exa_mple.test/x']) u
           where tests.outcome(format('select public.wc_set_webhook(%L, %L, %L)', (select workflow from fx), u,
                                      'sixteen-chars-secret')) = 'PT400'),
          (select array_agg(u order by u) from unnest(array[
               'http://localhost/x', 'http://LocalHost./x', 'http://a.localhost/x', 'http://127.0.0.1:8080/x',
               'http://127.1/x', 'http://2130706433/x', 'http://0x7f000001/x', 'http://0177.0.0.1/x',
               'http://10.1.2.3/x', 'http://172.20.0.1/x', 'http://192.168.1.1/x', 'http://100.64.0.1/x',
               'http://169.254.169.254/latest/meta-data', 'http://0.0.0.0/x', 'https://metadata.google.internal/x',
               'http://printer.local/x', 'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[fd00::1]/x',
               'http://[fe80::1%25eth0]/x', 'http://hooks.example.test@127.0.0.1/x', 'http://user:pw@hooks.example.test/x',
               'http://hooks.example.test\@127.0.0.1/x', 'http://hooks.example.test:99999999/x', 'http://exa_mple.test/x']) u),
          'loopback, private, link-local, metadata and disguised addresses are refused as webhook urls');
select is((select count(*)::int from unnest(array[
               'https://hooks.example.test/a', 'https://hooks.example.test:8443/in?x=1#f', 'http://93.184.216.34/hook',
               'https://[2606:4700:4700::1111]/hook', 'https://deadbeef.cafe/hook', 'https://HOOKS.Example.TEST./a']) u
           where tests.outcome(format('select public.wc_set_webhook(%L, %L, %L)', (select workflow from fx), u,
                                      'sixteen-chars-secret')) = 'OK'), 6,
          'public names and addresses are accepted');
set local workflow_chat.webhook_allow_private = 'on';
select is(public.wc_set_webhook((select workflow from fx), 'http://127.0.0.1:8080/hook') ->> 'webhook_url',
          'http://127.0.0.1:8080/hook', 'a deployment that turns on workflow_chat.webhook_allow_private may use local endpoints');

select tests.act_as('mia');
select is(public.wc_get_workflow((select workflow from fx)) -> 'webhook_url', 'null'::jsonb, 'members do not see the webhook url');
select is((select count(*)::int from jsonb_array_elements(public.wc_list_members((select workflow from fx))) m
           where m -> 'email' <> 'null'::jsonb), 0, 'members do not see emails');
select lives_ok(format($$select public.wc_remove_member(%L, %L)$$, (select workflow from fx), tests.account('mia')),
                'a member may leave');

select tests.act_as('olga');
select throws_ok(format($$select public.wc_remove_member(%L, %L)$$, (select workflow from fx), tests.account('olga')),
                 'PT409', 'last owner', 'the last owner cannot leave');
select is(jsonb_array_length(public.wc_list_members((select workflow from fx))), 3, 'three members remain');
select lives_ok(format($$select public.wc_delete_workflow(%L)$$, (select workflow from fx)), 'the owner deletes the workflow');

select * from finish();
rollback;
