-- Token auth: register, login (one error for unknown email and wrong
-- password, throttling), the JWT itself (HS256 over the Vault secret, claims),
-- refresh with its grace period, logout, token listing and revocation, the
-- service-role token for host sites, and the PT401 message of each bad token.
begin;
\ir helpers/caller.psql
select plan(47);

-- Register ---------------------------------------------------------------
select tests.act_as_anon();
select lives_ok($$select tests.remember('ann', public.wc_register(' Ann@Example.TEST ', 'correct horse', 'Ann'))$$,
                'anon may register');
select is((tests.claims_of(tests.token('ann')) ->> 'email'), 'ann@example.test', 'emails are trimmed and lower-cased');
select throws_ok($$select public.wc_register('ann@example.test', 'another pass', 'Ann 2')$$,
                 'PT409', 'email already registered', 'duplicate email is a conflict');
select throws_ok($$select public.wc_register('not-an-email', 'password1', 'X')$$,
                 'PT400', 'invalid email', 'malformed email refused');
select throws_ok($$select public.wc_register('x@example.test', 'short', 'X')$$,
                 'PT400', 'too short', 'short password refused');
select throws_ok($$select public.wc_register('x@example.test', 'password1', '   ')$$,
                 'PT400', 'too short', 'blank display name refused');

-- The token ----------------------------------------------------------------
select tests.act_as_postgres();
select is(split_part(tests.token('ann'), '.', 1), 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'header is HS256 JWT');
select is(split_part(tests.token('ann'), '.', 3),
          translate(encode(extensions.hmac(split_part(tests.token('ann'), '.', 1) || '.' || split_part(tests.token('ann'), '.', 2),
                                           'super-secret-jwt-token-with-at-least-32-characters-long', 'sha256'), 'base64'), E'+/=\n', '-_'),
          'signature is HMAC-SHA256 of header.payload with the Vault secret');
select is((select count(*)::int from jsonb_object_keys(tests.claims_of(tests.token('ann'))) k
           where k in ('sub', 'role', 'aud', 'exp', 'iat', 'jti', 'iss', 'session_id', 'aal')), 9,
          'claims carry sub, role, aud, exp, iat, jti, iss, session_id, aal');
select is(tests.claims_of(tests.token('ann')) ->> 'role', 'authenticated', 'role claim');
select is(tests.claims_of(tests.token('ann')) ->> 'aud', 'authenticated', 'aud claim');
select is((tests.claims_of(tests.token('ann')) ->> 'exp')::bigint - (tests.claims_of(tests.token('ann')) ->> 'iat')::bigint,
          3600::bigint, 'tokens live one hour');
select is((select count(*)::int from workflow_chat.auth_tokens where jti = tests.jti('ann') and origin = 'password'
           and user_agent = 'pgtap' and address = '203.0.113.7'), 1, 'the token is recorded with user agent and address');

-- Secrets are compared in constant time: the comparison runs on digests
-- keyed with fresh random bytes, so where two values first differ does not
-- show in the time it takes.
select ok(workflow_chat.constant_time_equal('same value', 'same value'), 'constant_time_equal: equal values');
select ok(not workflow_chat.constant_time_equal('same value', 'same valuf'), 'constant_time_equal: a difference in the last byte');
select ok(not workflow_chat.constant_time_equal('same value', null), 'constant_time_equal: null is never equal');
select is_empty($$select p.oid::regprocedure from pg_proc p
                  where p.oid in ('workflow_chat.jwt_verified_claims(text)'::regprocedure,
                                  'workflow_chat.login(text, text)'::regprocedure)
                    and p.prosrc not like '%workflow_chat.constant_time_equal(%'$$,
                'the JWT signature check and the password check compare through constant_time_equal');

-- Login -------------------------------------------------------------------
select tests.act_as_anon();
select is(public.wc_login('ann@example.test', 'correct horse') -> 'account' ->> 'display_name', 'Ann', 'login with the right password');
select is(public.wc_login('ann@example.test', 'wrong horse'),
          '{"code":"PT401","message":"invalid login credentials","details":null,"hint":null}'::jsonb,
          'wrong password: error body');
select is(current_setting('response.status', true), '401', 'wrong password: HTTP 401 through response.status');
select is(public.wc_login('nobody@example.test', 'wrong horse') ->> 'message', 'invalid login credentials',
          'unknown email: the same error');
select tests.act_as_postgres();
select is((select count(*)::int from workflow_chat.login_attempt where email = 'ann@example.test'), 1,
          'the failed attempt is recorded');

-- Throttling: 5 failures per email in 15 minutes.
insert into workflow_chat.login_attempt (email, address)
select 'ann@example.test', '198.51.100.' || g from generate_series(1, 4) g;
select tests.act_as_anon();
select throws_ok($$select public.wc_login('ann@example.test', 'correct horse')$$,
                 'PT429', 'too many login attempts', 'throttled after 5 failures, even with the right password');
select tests.act_as_postgres();
update workflow_chat.login_attempt set attempted_at = now() - interval '16 minutes';
-- ...and 20 per address, whatever the email.
insert into workflow_chat.login_attempt (email, address)
select 'x' || g || '@example.test', '203.0.113.7' from generate_series(1, 20) g;
select tests.act_as_anon();
select throws_ok($$select public.wc_login('ann@example.test', 'correct horse')$$,
                 'PT429', 'too many login attempts', 'throttled after 20 failures from one address');
select tests.act_as_postgres();
delete from workflow_chat.login_attempt;

-- The address is the one the gateway vouches for: X-Real-IP, else the last
-- X-Forwarded-For hop (the client writes the first ones itself).
select is((select workflow_chat.client_address() from (select set_config('request.headers',
              '{"x-forwarded-for": "10.9.9.9, 198.51.100.20", "x-real-ip": "198.51.100.21"}', true)) h),
          '198.51.100.21', 'client address: X-Real-IP first');
select is((select workflow_chat.client_address() from (select set_config('request.headers',
              '{"x-forwarded-for": "10.9.9.9, 172.16.0.1 , 198.51.100.20 "}', true)) h),
          '198.51.100.20', 'client address: else the last X-Forwarded-For hop');
-- 20 failures from one real address, each claiming another first hop.
select tests.act_as_anon();
select count(*) from (
    select set_config('request.headers', jsonb_build_object(
               'x-forwarded-for', '192.0.2.' || g || ', 198.51.100.99', 'x-real-ip', '198.51.100.99')::text, true),
           public.wc_login('spray' || g || '@example.test', 'guess')
    from generate_series(1, 20) g) x;
select throws_ok($$select public.wc_login('ann@example.test', 'correct horse')$$,
                 'PT429', 'too many login attempts', 'a forged first X-Forwarded-For hop does not escape the address limit');
select tests.act_as_postgres();
delete from workflow_chat.login_attempt;

-- Bad tokens: the message of each -------------------------------------------------
select tests.act_as_anon();
select throws_ok($$select public.wc_me()$$, 'PT401', 'authentication required', 'anon key: authentication required');
select tests.act_as_token('x.y.z', '{"role":"authenticated","sub":"nope","jti":"nope"}');
select throws_ok($$select public.wc_me()$$, 'PT401', 'invalid token', 'malformed claims: invalid token');
select tests.act_as_token(tests.token('ann') || 'x', tests.claims_of(tests.token('ann')));
select throws_ok($$select public.wc_me()$$, 'PT401', 'invalid token', 'bad signature: invalid token');
select tests.act_as_token(tests.token('ann'), tests.claims_of(tests.token('ann')) || jsonb_build_object('jti', gen_random_uuid()));
select throws_ok($$select public.wc_me()$$, 'PT401', 'invalid token', 'claims naming another token: invalid token');
select tests.act_as_token(tests.token('ann'), tests.claims_of(tests.token('ann')) || '{"exp": 1000}');
select throws_ok($$select public.wc_me()$$, 'PT401', 'token expired', 'past exp: token expired');

-- Refresh, list, revoke, logout ------------------------------------------------
select tests.act_as('ann');
select tests.remember('ann2', public.wc_refresh());
select isnt(tests.jti('ann2'), tests.jti('ann'), 'refresh issues a new token');
select is((public.wc_me() ->> 'email'), 'ann@example.test', 'the old token still works during the grace minute');
select tests.act_as_postgres();
update workflow_chat.auth_tokens set revoked_at = now() - interval '1 second' where jti = tests.jti('ann');
select tests.act_as('ann');
select throws_ok($$select public.wc_me()$$, 'PT401', 'token revoked', 'after the grace minute the old token is revoked');
select tests.act_as('ann2');
select is(jsonb_array_length(public.wc_list_tokens()), 3, 'the tokens of register, login and refresh are listed');
select is((select count(*)::int from jsonb_array_elements(public.wc_list_tokens()) t where (t ->> 'current')::boolean), 1,
          'exactly one is marked current');
select throws_ok(format('select public.wc_revoke_token(%L)', gen_random_uuid()), 'PT404', 'token not found',
                 'revoking an unknown token');
select lives_ok($$select public.wc_logout()$$, 'logout');
select throws_ok($$select public.wc_me()$$, 'PT401', 'token revoked', 'a logged-out token is refused');

-- Host-site tokens ---------------------------------------------------------------
select tests.act_as_service();
select tests.remember('ext', public.wc_issue_token('host-42', 'ext@example.test', 'Host User', 600));
select is((tests.claims_of(tests.token('ext')) ->> 'exp')::bigint - (tests.claims_of(tests.token('ext')) ->> 'iat')::bigint,
          600::bigint, 'service role issues a token with the asked lifetime');
select is(public.wc_issue_token('host-42') -> 'account' ->> 'id', tests.account('ext')::text,
          'the same external id maps to the same account');
select is(public.wc_issue_token('host-43', 'ann@example.test') -> 'account' ->> 'email', 'ann@example.test',
          'an existing password account is linked by email');
select throws_ok($$select public.wc_issue_token('host-44', 'ann@example.test')$$, 'PT409', 'email already registered',
                 'an email linked to another external id is a conflict');
select is(public.wc_issue_token(' host 45 ') -> 'account' ->> 'display_name', 'host 45',
          'a default display name is derived from a padded external id without a constraint error');
select throws_ok($$select public.wc_issue_token('   ')$$, 'PT400', 'invalid argument',
                 'a blank external id is refused with a clear error');
select tests.act_as('ext');
select is(public.wc_me() ->> 'display_name', 'Host User', 'the host token works as a user token');

select * from finish();
rollback;
