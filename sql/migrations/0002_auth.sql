-- workflow-chat, migration 2: token authentication.
--
-- Tokens are HS256 JWTs signed here with the project's JWT secret, read from
-- Vault (secret name `workflow_chat_jwt_secret`), so PostgREST, Realtime and
-- Storage accept them like Supabase Auth's own. Every token has a row in
-- auth_tokens; workflow_chat.current_account_id() is the one place that turns
-- the request's claims into an account and refuses anything else with PT401.
--
-- Error convention of the whole API (see docs/api.md): SQLSTATE PTxyz, which
-- PostgREST answers with HTTP status xyz; stable messages; for PT400 the
-- DETAIL names the offending argument.

-- ===========================================================================
-- JWT encoding
-- ===========================================================================

create function workflow_chat.base64url_encode(p_data bytea)
returns text
language sql
immutable
set search_path = ''
as $$
    -- encode() wraps lines and pads; JWTs use neither.
    select translate(encode(p_data, 'base64'), E'+/=\n', '-_')
$$;

create function workflow_chat.base64url_decode(p_text text)
returns bytea
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_b64 text := translate(p_text, '-_', '+/');
begin
    if p_text is null or p_text !~ '^[A-Za-z0-9_-]*$' then
        return null;
    end if;
    v_b64 := v_b64 || repeat('=', (4 - length(v_b64) % 4) % 4);
    return decode(v_b64, 'base64');
exception
    when others then
        return null;
end;
$$;

create function workflow_chat.constant_time_equal(p_a text, p_b text)
returns boolean
language sql
volatile
set search_path = ''
as $$
    -- Comparing text stops at the first differing byte, which would let a
    -- caller measure how much of a guessed signature is right. The digests
    -- compared here are keyed with fresh random bytes, so the caller cannot
    -- steer them and their common prefix says nothing about the inputs.
    select coalesce(extensions.hmac(convert_to(p_a, 'UTF8'), k.key, 'sha256')
                    = extensions.hmac(convert_to(p_b, 'UTF8'), k.key, 'sha256'), false)
    from (select extensions.gen_random_bytes(32) as key) k
$$;
comment on function workflow_chat.constant_time_equal(text, text) is
    'True when two secrets (signatures, password hashes) are equal, in time independent of where they differ; false for null.';

create function workflow_chat.jwt_secret()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_secret text;
begin
    select s.decrypted_secret into v_secret
    from vault.decrypted_secrets s
    where s.name = 'workflow_chat_jwt_secret';
    if v_secret is null or v_secret = '' then
        raise exception using errcode = 'PT500', message = 'token signing is not configured';
    end if;
    return v_secret;
end;
$$;
comment on function workflow_chat.jwt_secret() is
    'The project JWT secret from Vault; PT500 when a deployer has not stored it.';

create function workflow_chat.jwt_sign(p_claims jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    v_signing_input text :=
        workflow_chat.base64url_encode(convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8'))
        || '.' || workflow_chat.base64url_encode(convert_to(p_claims::text, 'UTF8'));
begin
    return v_signing_input || '.' || workflow_chat.base64url_encode(
        extensions.hmac(convert_to(v_signing_input, 'UTF8'),
                        convert_to(workflow_chat.jwt_secret(), 'UTF8'), 'sha256'));
end;
$$;
comment on function workflow_chat.jwt_sign(jsonb) is 'Signs claims as an HS256 JWT with the project secret.';

create function workflow_chat.jwt_verified_claims(p_token text)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_parts text[] := string_to_array(p_token, '.');
    v_header jsonb;
    v_expected text;
begin
    if p_token is null or cardinality(v_parts) <> 3 then
        return null;
    end if;
    begin
        v_header := convert_from(workflow_chat.base64url_decode(v_parts[1]), 'UTF8')::jsonb;
    exception
        when others then
            return null;
    end;
    if v_header ->> 'alg' is distinct from 'HS256' then
        return null;
    end if;
    v_expected := workflow_chat.base64url_encode(
        extensions.hmac(convert_to(v_parts[1] || '.' || v_parts[2], 'UTF8'),
                        convert_to(workflow_chat.jwt_secret(), 'UTF8'), 'sha256'));
    if not workflow_chat.constant_time_equal(v_expected, v_parts[3]) then
        return null;
    end if;
    begin
        return convert_from(workflow_chat.base64url_decode(v_parts[2]), 'UTF8')::jsonb;
    exception
        when others then
            return null;
    end;
end;
$$;
comment on function workflow_chat.jwt_verified_claims(text) is
    'The claims of an HS256 JWT whose signature matches the project secret, else null. Expiry is not checked here.';

-- ===========================================================================
-- Request context
-- ===========================================================================

create function workflow_chat.request_header(p_name text)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    return nullif(current_setting('request.headers', true), '')::jsonb ->> lower(p_name);
exception
    when others then
        return null;
end;
$$;
comment on function workflow_chat.request_header(text) is
    'A header of the current PostgREST request (names are lower case), or null.';

create function workflow_chat.client_address()
returns text
language sql
stable
set search_path = ''
as $$
    -- Only what the gateway itself wrote: X-Real-IP (Supabase's gateway sets
    -- it to the peer address), else the last X-Forwarded-For hop (appended by
    -- the nearest proxy). The first hops are whatever the client sent, so
    -- trusting them would let every failed login claim a new address.
    select left(nullif(btrim(coalesce(
        nullif(btrim(workflow_chat.request_header('x-real-ip')), ''),
        (string_to_array(workflow_chat.request_header('x-forwarded-for'), ','))
            [cardinality(string_to_array(workflow_chat.request_header('x-forwarded-for'), ','))])), ''), 100)
$$;
comment on function workflow_chat.client_address() is
    'The client address as the gateway reports it (X-Real-IP, else the last X-Forwarded-For hop).';

create function workflow_chat.is_uuid(p_text text)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select p_text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
$$;

-- ===========================================================================
-- Caller resolution
-- ===========================================================================

create function workflow_chat.token_account_id(p_claims jsonb)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_token workflow_chat.auth_tokens;
begin
    if p_claims is null or p_claims ->> 'role' is distinct from 'authenticated'
       or not coalesce(workflow_chat.is_uuid(p_claims ->> 'sub'), false)
       or not coalesce(workflow_chat.is_uuid(p_claims ->> 'jti'), false) then
        return null;
    end if;
    select * into v_token from workflow_chat.auth_tokens t where t.jti = (p_claims ->> 'jti')::uuid;
    if not found or v_token.account_id <> (p_claims ->> 'sub')::uuid
       or v_token.expires_at <= now()
       or (v_token.revoked_at is not null and v_token.revoked_at <= now()) then
        return null;
    end if;
    if exists (select 1 from workflow_chat.account a where a.id = v_token.account_id and a.disabled_at is not null) then
        return null;
    end if;
    return v_token.account_id;
end;
$$;
comment on function workflow_chat.token_account_id(jsonb) is
    'The account of verified JWT claims whose token is live (exists, unexpired, unrevoked, account enabled), else null. '
    'Used by RLS policies, where raising is not wanted.';

create function workflow_chat.current_account_id()
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_claims jsonb;
    v_authorization text;
    v_header_claims jsonb;
    v_token workflow_chat.auth_tokens;
begin
    begin
        v_claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
    exception
        when others then
            raise exception using errcode = 'PT401', message = 'invalid token';
    end;
    if v_claims is null or jsonb_typeof(v_claims) <> 'object'
       or v_claims ->> 'role' is distinct from 'authenticated' then
        raise exception using errcode = 'PT401', message = 'authentication required';
    end if;
    if not coalesce(workflow_chat.is_uuid(v_claims ->> 'sub'), false)
       or not coalesce(workflow_chat.is_uuid(v_claims ->> 'jti'), false) then
        raise exception using errcode = 'PT401', message = 'invalid token';
    end if;

    -- Defence in depth: when the raw bearer token is visible (PostgREST,
    -- Storage), its signature must verify here too and name the same token.
    v_authorization := workflow_chat.request_header('authorization');
    if v_authorization ~* '^bearer ' then
        v_header_claims := workflow_chat.jwt_verified_claims(btrim(substr(v_authorization, 8)));
        if v_header_claims is null or v_header_claims ->> 'jti' is distinct from v_claims ->> 'jti' then
            raise exception using errcode = 'PT401', message = 'invalid token';
        end if;
    end if;

    select * into v_token from workflow_chat.auth_tokens t where t.jti = (v_claims ->> 'jti')::uuid;
    if not found or v_token.account_id <> (v_claims ->> 'sub')::uuid then
        raise exception using errcode = 'PT401', message = 'invalid token';
    end if;
    if v_token.revoked_at is not null and v_token.revoked_at <= now() then
        raise exception using errcode = 'PT401', message = 'token revoked';
    end if;
    if v_token.expires_at <= now()
       or (jsonb_typeof(v_claims -> 'exp') = 'number' and (v_claims ->> 'exp')::numeric <= extract(epoch from now())) then
        raise exception using errcode = 'PT401', message = 'token expired';
    end if;
    if exists (select 1 from workflow_chat.account a where a.id = v_token.account_id and a.disabled_at is not null) then
        raise exception using errcode = 'PT401', message = 'account disabled';
    end if;

    -- At most one write a minute, and none in read-only (GET) transactions.
    if (v_token.last_used_at is null or v_token.last_used_at < now() - interval '1 minute')
       and current_setting('transaction_read_only') = 'off' then
        update workflow_chat.auth_tokens set last_used_at = now() where jti = v_token.jti;
    end if;
    return v_token.account_id;
end;
$$;
comment on function workflow_chat.current_account_id() is
    'The calling account, from request.jwt.claims (and the bearer token when visible). '
    'Raises PT401 for no token, anon/service keys, malformed claims, bad signature, unknown, revoked or expired tokens.';

-- ===========================================================================
-- Issuing tokens
-- ===========================================================================

create function workflow_chat.account_json(p_account_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', a.id,
        'email', a.email,
        'display_name', p.display_name,
        'avatar_url', p.avatar_url,
        'created_at', a.created_at)
    from workflow_chat.account a
    join workflow_chat.userprofile p on p.account_id = a.id
    where a.id = p_account_id
$$;

create function workflow_chat.issue_token(
    p_account_id uuid,
    p_origin workflow_chat.token_origin,
    p_ttl_seconds integer default 3600
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_jti uuid := gen_random_uuid();
    v_now timestamptz := now();
    v_iat bigint := floor(extract(epoch from v_now));
    v_exp bigint := v_iat + p_ttl_seconds;
    v_email text;
    v_claims jsonb;
begin
    select a.email into v_email from workflow_chat.account a where a.id = p_account_id;
    insert into workflow_chat.auth_tokens (jti, account_id, origin, issued_at, expires_at, user_agent, address)
    values (v_jti, p_account_id, p_origin, v_now, to_timestamp(v_exp),
            left(workflow_chat.request_header('user-agent'), 500), workflow_chat.client_address());

    v_claims := jsonb_strip_nulls(jsonb_build_object(
        'iss', 'workflow-chat',
        'sub', p_account_id,
        'aud', 'authenticated',
        'role', 'authenticated',
        'iat', v_iat,
        'exp', v_exp,
        'jti', v_jti,
        'session_id', v_jti,
        'aal', 'aal1',
        'email', v_email,
        'is_anonymous', false));

    return jsonb_build_object(
        'access_token', workflow_chat.jwt_sign(v_claims),
        'token_type', 'bearer',
        'expires_in', p_ttl_seconds,
        'expires_at', v_exp,
        'account', workflow_chat.account_json(p_account_id));
end;
$$;
comment on function workflow_chat.issue_token(uuid, workflow_chat.token_origin, integer) is
    'Records and signs a new token for an account; returns the Token JSON of docs/api.md.';

-- ===========================================================================
-- Validation helpers
-- ===========================================================================

create function workflow_chat.check_text(p_value text, p_argument text, p_min integer, p_max integer)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_value is null then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = p_argument;
    end if;
    if char_length(p_value) < p_min then
        raise exception using errcode = 'PT400', message = 'too short', detail = p_argument;
    end if;
    if char_length(p_value) > p_max then
        raise exception using errcode = 'PT400', message = 'too long', detail = p_argument;
    end if;
    return p_value;
end;
$$;
comment on function workflow_chat.check_text(text, text, integer, integer) is
    'Returns the value when its length is within bounds, else raises PT400 naming the argument.';

create function workflow_chat.normalize_email(p_email text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_email text := lower(btrim(p_email));
begin
    if v_email is null or char_length(v_email) not between 3 and 254
       or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
        raise exception using errcode = 'PT400', message = 'invalid email', detail = 'email';
    end if;
    return v_email;
end;
$$;

-- ===========================================================================
-- Core auth functions (called by the public wc_* wrappers)
-- ===========================================================================

create function workflow_chat.register(p_email text, p_password text, p_display_name text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_email text := workflow_chat.normalize_email(p_email);
    v_name text := workflow_chat.check_text(btrim(p_display_name), 'display_name', 1, 100);
    v_account_id uuid;
begin
    perform workflow_chat.check_text(p_password, 'password', 8, 200);
    if exists (select 1 from workflow_chat.account a where a.email = v_email) then
        raise exception using errcode = 'PT409', message = 'email already registered';
    end if;
    insert into workflow_chat.account (email, password_hash)
    values (v_email, extensions.crypt(p_password, extensions.gen_salt('bf', 10)))
    returning id into v_account_id;
    insert into workflow_chat.userprofile (account_id, display_name) values (v_account_id, v_name);
    return workflow_chat.issue_token(v_account_id, 'password');
exception
    when unique_violation then
        raise exception using errcode = 'PT409', message = 'email already registered';
end;
$$;

create function workflow_chat.login(p_email text, p_password text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_email text := lower(btrim(p_email));
    v_address text := workflow_chat.client_address();
    v_account workflow_chat.account;
    v_ok boolean;
begin
    if v_email is null or v_email = '' then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'email';
    end if;
    if p_password is null then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'password';
    end if;
    v_email := left(v_email, 254);

    if (select count(*) from workflow_chat.login_attempt l
        where l.email = v_email and l.attempted_at > now() - interval '15 minutes') >= 5
       or (v_address is not null
           and (select count(*) from workflow_chat.login_attempt l
                where l.address = v_address and l.attempted_at > now() - interval '15 minutes') >= 20) then
        raise exception using errcode = 'PT429', message = 'too many login attempts';
    end if;

    select * into v_account from workflow_chat.account a where a.email = v_email;
    -- Hash even for unknown emails so both failures take the same time.
    v_ok := workflow_chat.constant_time_equal(
                extensions.crypt(p_password, coalesce(v_account.password_hash,
                    '$2a$10$0000000000000000000000000000000000000000000000000000.')),
                v_account.password_hash);
    if not coalesce(v_ok, false) or v_account.disabled_at is not null then
        delete from workflow_chat.login_attempt l
        where l.email = v_email and l.attempted_at < now() - interval '1 day';
        insert into workflow_chat.login_attempt (email, address) values (v_email, v_address);
        -- Answer 401 without raising, so that the failed attempt is kept.
        perform set_config('response.status', '401', true);
        return jsonb_build_object('code', 'PT401', 'message', 'invalid login credentials',
                                  'details', null, 'hint', null);
    end if;

    delete from workflow_chat.login_attempt l where l.email = v_email;
    return workflow_chat.issue_token(v_account.id, 'password');
end;
$$;
comment on function workflow_chat.login(text, text) is
    'Password login. Failures are recorded and answered with HTTP 401 through response.status; '
    'PT429 after 5 failures per email or 20 per address within 15 minutes.';

create function workflow_chat.logout()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    update workflow_chat.auth_tokens
    set revoked_at = now()
    where jti = (current_setting('request.jwt.claims', true)::jsonb ->> 'jti')::uuid
      and account_id = v_account_id;
end;
$$;

create function workflow_chat.refresh()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_jti uuid := (current_setting('request.jwt.claims', true)::jsonb ->> 'jti')::uuid;
begin
    -- The old token keeps working for a minute so in-flight requests and the
    -- Realtime socket can switch over.
    update workflow_chat.auth_tokens
    set revoked_at = least(coalesce(revoked_at, 'infinity'), now() + interval '60 seconds')
    where jti = v_jti;
    return workflow_chat.issue_token(v_account_id, 'refresh');
end;
$$;

create function workflow_chat.me()
returns jsonb
language sql
volatile
security definer
set search_path = ''
as $$
    select workflow_chat.account_json(workflow_chat.current_account_id())
$$;

create function workflow_chat.update_profile(p_display_name text, p_avatar_url text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    if p_display_name is not null then
        update workflow_chat.userprofile
        set display_name = workflow_chat.check_text(btrim(p_display_name), 'display_name', 1, 100)
        where account_id = v_account_id;
    end if;
    if p_avatar_url is not null then
        if p_avatar_url <> '' and (char_length(p_avatar_url) > 2000 or p_avatar_url !~ '^https?://[^[:space:]]+$') then
            raise exception using errcode = 'PT400', message = 'invalid url', detail = 'avatar_url';
        end if;
        update workflow_chat.userprofile set avatar_url = nullif(p_avatar_url, '')
        where account_id = v_account_id;
    end if;
    return workflow_chat.account_json(v_account_id);
end;
$$;

create function workflow_chat.list_tokens()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_jti uuid := (current_setting('request.jwt.claims', true)::jsonb ->> 'jti')::uuid;
begin
    return coalesce((
        select jsonb_agg(jsonb_build_object(
                   'jti', t.jti,
                   'current', t.jti = v_jti,
                   'issued_at', t.issued_at,
                   'expires_at', t.expires_at,
                   'last_used_at', t.last_used_at,
                   'revoked_at', t.revoked_at,
                   'user_agent', t.user_agent,
                   'origin', t.origin)
               order by t.issued_at desc, t.jti)
        from workflow_chat.auth_tokens t
        where t.account_id = v_account_id
          and t.issued_at > now() - interval '30 days'), '[]'::jsonb);
end;
$$;

create function workflow_chat.revoke_token(p_jti uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    update workflow_chat.auth_tokens
    set revoked_at = least(coalesce(revoked_at, 'infinity'), now())
    where jti = p_jti and account_id = v_account_id;
    if not found then
        raise exception using errcode = 'PT404', message = 'token not found';
    end if;
end;
$$;

create function workflow_chat.issue_external_token(
    p_external_id text,
    p_email text,
    p_display_name text,
    p_ttl_seconds integer
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_claims jsonb;
    v_external_id text;
    v_email text;
    v_name text;
    v_account workflow_chat.account;
begin
    begin
        v_claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
    exception
        when others then
            v_claims := null;
    end;
    -- Only the host site's server, holding the service key, may mint tokens.
    if v_claims is null or v_claims ->> 'role' is distinct from 'service_role' then
        raise exception using errcode = 'PT401', message = 'authentication required';
    end if;
    v_external_id := workflow_chat.check_text(p_external_id, 'external_id', 1, 200);
    if btrim(v_external_id) = '' then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'external_id';
    end if;
    if p_email is not null then
        v_email := workflow_chat.normalize_email(p_email);
    end if;
    if p_display_name is not null then
        v_name := workflow_chat.check_text(btrim(p_display_name), 'display_name', 1, 100);
    end if;
    if p_ttl_seconds is null or p_ttl_seconds not between 60 and 86400 then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'ttl_seconds';
    end if;

    select * into v_account from workflow_chat.account a where a.external_id = v_external_id for update;
    if not found and v_email is not null then
        select * into v_account from workflow_chat.account a where a.email = v_email for update;
        if found then
            if v_account.external_id is not null then
                raise exception using errcode = 'PT409', message = 'email already registered';
            end if;
            update workflow_chat.account set external_id = v_external_id where id = v_account.id;
        end if;
    end if;
    if v_account.id is null then
        insert into workflow_chat.account (external_id, email)
        values (v_external_id, v_email)
        returning * into v_account;
        insert into workflow_chat.userprofile (account_id, display_name)
        values (v_account.id, coalesce(v_name, btrim(left(btrim(coalesce(split_part(v_email, '@', 1), v_external_id)), 100))));
    elsif v_name is not null then
        update workflow_chat.userprofile set display_name = v_name where account_id = v_account.id;
    end if;
    return workflow_chat.issue_token(v_account.id, 'external', p_ttl_seconds);
exception
    when unique_violation then
        raise exception using errcode = 'PT409', message = 'email already registered';
end;
$$;
comment on function workflow_chat.issue_external_token(text, text, text, integer) is
    'service_role only: token for a host site''s own user, creating or linking the account by external id.';

-- ===========================================================================
-- Second-line policies: an account sees its own identity rows (its profile
-- policy, which also covers co-members, is in 0003_access.sql)
-- ===========================================================================

create policy account_self_read on workflow_chat.account for select to authenticated
    using (id = workflow_chat.token_account_id((select auth.jwt())));
create policy auth_tokens_self_read on workflow_chat.auth_tokens for select to authenticated
    using (account_id = workflow_chat.token_account_id((select auth.jwt())));
-- Failed logins against one's own email (the uncorrelated subquery runs once).
create policy login_attempt_self_read on workflow_chat.login_attempt for select to authenticated
    using (email = (select a.email from workflow_chat.account a
                    where a.id = workflow_chat.token_account_id((select auth.jwt()))));

-- ===========================================================================
-- Grants (everything above starts with no EXECUTE for anyone)
-- ===========================================================================

revoke all on function workflow_chat.base64url_encode(bytea) from public;
revoke all on function workflow_chat.base64url_decode(text) from public;
revoke all on function workflow_chat.constant_time_equal(text, text) from public;
revoke all on function workflow_chat.jwt_secret() from public;
revoke all on function workflow_chat.jwt_sign(jsonb) from public;
revoke all on function workflow_chat.jwt_verified_claims(text) from public;
revoke all on function workflow_chat.request_header(text) from public;
revoke all on function workflow_chat.client_address() from public;
revoke all on function workflow_chat.is_uuid(text) from public;
revoke all on function workflow_chat.token_account_id(jsonb) from public;
revoke all on function workflow_chat.current_account_id() from public;
revoke all on function workflow_chat.account_json(uuid) from public;
revoke all on function workflow_chat.issue_token(uuid, workflow_chat.token_origin, integer) from public;
revoke all on function workflow_chat.check_text(text, text, integer, integer) from public;
revoke all on function workflow_chat.normalize_email(text) from public;
revoke all on function workflow_chat.register(text, text, text) from public;
revoke all on function workflow_chat.login(text, text) from public;
revoke all on function workflow_chat.logout() from public;
revoke all on function workflow_chat.refresh() from public;
revoke all on function workflow_chat.me() from public;
revoke all on function workflow_chat.update_profile(text, text) from public;
revoke all on function workflow_chat.list_tokens() from public;
revoke all on function workflow_chat.revoke_token(uuid) from public;
revoke all on function workflow_chat.issue_external_token(text, text, text, integer) from public;

grant usage on schema workflow_chat to anon, authenticated, service_role;
grant execute on function workflow_chat.token_account_id(jsonb) to authenticated;
grant execute on function workflow_chat.register(text, text, text) to anon, authenticated;
grant execute on function workflow_chat.login(text, text) to anon, authenticated;
grant execute on function workflow_chat.logout() to anon, authenticated;
grant execute on function workflow_chat.refresh() to anon, authenticated;
grant execute on function workflow_chat.me() to anon, authenticated;
grant execute on function workflow_chat.update_profile(text, text) to anon, authenticated;
grant execute on function workflow_chat.list_tokens() to anon, authenticated;
grant execute on function workflow_chat.revoke_token(uuid) to anon, authenticated;
grant execute on function workflow_chat.issue_external_token(text, text, text, integer) to service_role;
