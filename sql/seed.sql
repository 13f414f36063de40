-- workflow-chat demo data, applied once to a fresh database after the
-- migrations (plain SQL, no psql meta-commands). Everything is created through
-- the same core functions the API uses, acting as each demo account in turn.
--
-- Demo accounts (devstack prints these lines):
-- demo-login: ada@example.com ada-demo-password owner of "Support desk", viewer of "Product launch"
-- demo-login: ben@example.com ben-demo-password admin of "Support desk", member of "Product launch"
-- demo-login: chloe@example.com chloe-demo-password member of "Support desk", owner of "Product launch"
-- demo-login: dev@example.com dev-demo-password viewer of "Support desk"
--
-- The audio and file messages reference objects under wc-attachments that are
-- not uploaded by the seed: their rows exist, downloading them answers 404.

do $seed$
declare
    v_ada uuid;
    v_ben uuid;
    v_chloe uuid;
    v_dev uuid;
    v_support uuid;
    v_launch uuid;
    v_welcome uuid;
    v_refund uuid;
    v_plan uuid;
    v_first uuid;
    v_msg jsonb;
begin
    -- Accounts (tokens issued here are never handed out).
    v_ada := (workflow_chat.register('ada@example.com', 'ada-demo-password', 'Ada Lovelace') -> 'account' ->> 'id')::uuid;
    v_ben := (workflow_chat.register('ben@example.com', 'ben-demo-password', 'Ben Okafor') -> 'account' ->> 'id')::uuid;
    v_chloe := (workflow_chat.register('chloe@example.com', 'chloe-demo-password', 'Chloé Martin') -> 'account' ->> 'id')::uuid;
    v_dev := (workflow_chat.register('dev@example.com', 'dev-demo-password', 'Dev Patel') -> 'account' ->> 'id')::uuid;

    -- The same people as Supabase Auth users (same ids, passwords and
    -- names), confirmed, as `auth.admin.createUser` with email_confirm makes
    -- them.
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
                            email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                            created_at, updated_at, confirmation_token, recovery_token,
                            email_change_token_new, email_change)
    select '00000000-0000-0000-0000-000000000000', p.id, 'authenticated', 'authenticated',
           p.email, extensions.crypt(p.password, extensions.gen_salt('bf', 10)), now(),
           '{"provider": "email", "providers": ["email"]}',
           jsonb_build_object('display_name', p.name, 'email_verified', true),
           now(), now(), '', '', '', ''
    from (values (v_ada, 'ada@example.com', 'ada-demo-password', 'Ada Lovelace'),
                 (v_ben, 'ben@example.com', 'ben-demo-password', 'Ben Okafor'),
                 (v_chloe, 'chloe@example.com', 'chloe-demo-password', 'Chloé Martin'),
                 (v_dev, 'dev@example.com', 'dev-demo-password', 'Dev Patel')) as p(id, email, password, name);
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at,
                                 created_at, updated_at)
    select u.id::text, u.id,
           jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true,
                              'phone_verified', false),
           'email', now(), now(), now()
    from auth.users u
    where u.id in (v_ada, v_ben, v_chloe, v_dev);

    -- Act as Ada: the "Support desk" workflow.
    perform set_config('request.jwt.claims', jsonb_build_object('role', 'authenticated', 'sub', v_ada,
        'jti', (select jti from workflow_chat.auth_tokens where account_id = v_ada limit 1))::text, true);
    v_support := (workflow_chat.create_workflow('Support desk', 'Customer conversations, one session per ticket') ->> 'id')::uuid;
    perform workflow_chat.add_member(v_support, 'ben@example.com', 'admin');
    perform workflow_chat.add_member(v_support, 'chloe@example.com', 'member');
    perform workflow_chat.add_member(v_support, 'dev@example.com', 'viewer');
    v_welcome := (workflow_chat.create_session(v_support, 'Welcome', '{"pinned": true}') ->> 'id')::uuid;
    v_refund := (workflow_chat.create_session(v_support, 'Ticket #4711: refund request', '{"ticket": 4711}') ->> 'id')::uuid;
    v_msg := workflow_chat.send_message(v_welcome, gen_random_uuid(), 'text',
        'Welcome to the support desk! Each ticket gets its own session.', null, null);
    v_first := (v_msg ->> 'id')::uuid;
    perform workflow_chat.send_message(v_refund, gen_random_uuid(), 'text',
        'The customer asks for a refund of order 88-1024. Can someone check the payment?', null, null);

    -- Act as Ben.
    perform set_config('request.jwt.claims', jsonb_build_object('role', 'authenticated', 'sub', v_ben,
        'jti', (select jti from workflow_chat.auth_tokens where account_id = v_ben limit 1))::text, true);
    perform workflow_chat.send_message(v_welcome, gen_random_uuid(), 'text', 'Thanks Ada 👋', null, v_first);
    perform workflow_chat.toggle_reaction(v_first, '🎉');
    perform workflow_chat.send_message(v_refund, gen_random_uuid(), 'audio', null,
        jsonb_build_object('path', v_support || '/' || v_refund || '/' || gen_random_uuid() || '/voice-note.webm',
                           'file_name', 'voice-note.webm', 'mime_type', 'audio/webm;codecs=opus',
                           'size_bytes', 73421, 'duration_ms', 9400), null);
    perform workflow_chat.send_message(v_refund, gen_random_uuid(), 'file', 'Payment receipt',
        jsonb_build_object('path', v_support || '/' || v_refund || '/' || gen_random_uuid() || '/receipt-88-1024.pdf',
                           'file_name', 'receipt-88-1024.pdf', 'mime_type', 'application/pdf', 'size_bytes', 48213), null);

    -- Act as Chloé: her own workflow, "Product launch".
    perform set_config('request.jwt.claims', jsonb_build_object('role', 'authenticated', 'sub', v_chloe,
        'jti', (select jti from workflow_chat.auth_tokens where account_id = v_chloe limit 1))::text, true);
    perform workflow_chat.send_message(v_refund, gen_random_uuid(), 'text',
        'Refund approved and sent. Closing the ticket.', null, null);
    perform workflow_chat.mark_read(v_welcome, 2);
    v_launch := (workflow_chat.create_workflow('Product launch', 'Planning the spring release') ->> 'id')::uuid;
    perform workflow_chat.add_member(v_launch, 'ben@example.com', 'member');
    perform workflow_chat.add_member(v_launch, 'ada@example.com', 'viewer');
    v_plan := (workflow_chat.create_session(v_launch, 'Launch checklist', '{}') ->> 'id')::uuid;
    perform workflow_chat.send_message(v_plan, gen_random_uuid(), 'text', m, null, null)
    from unnest(array['Kick-off: the launch is on the 14th.',
                      'Press kit is in progress.',
                      'Screenshots need the new theme.']) m;
    perform workflow_chat.send_message(v_plan, gen_random_uuid(), 'file', 'Latest screenshot',
        jsonb_build_object('path', v_launch || '/' || v_plan || '/' || gen_random_uuid() || '/home.png',
                           'file_name', 'home.png', 'mime_type', 'image/png', 'size_bytes', 201344), null);

    -- Act as Ben in the launch workflow.
    perform set_config('request.jwt.claims', jsonb_build_object('role', 'authenticated', 'sub', v_ben,
        'jti', (select jti from workflow_chat.auth_tokens where account_id = v_ben limit 1))::text, true);
    perform workflow_chat.send_message(v_plan, gen_random_uuid(), 'audio', 'Quick update from the road',
        jsonb_build_object('path', v_launch || '/' || v_plan || '/' || gen_random_uuid() || '/update.ogg',
                           'file_name', 'update.ogg', 'mime_type', 'audio/ogg', 'size_bytes', 31877,
                           'duration_ms', 4200), null);

    perform set_config('request.jwt.claims', '', true);
end
$seed$;
