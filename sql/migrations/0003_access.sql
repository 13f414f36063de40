-- workflow-chat, migration 3: access control, workflows and members.
--
-- workflow_chat.member_role() is the single rule "which role does this account
-- have on this workflow". The API functions use it through require_role()
-- (which raises PT404 for outsiders, PT403 for too weak a role), and every RLS
-- policy uses it through claims_role() (which also requires a live token).

-- ===========================================================================
-- The access helper
-- ===========================================================================

create function workflow_chat.member_role(p_workflow_id uuid, p_account_id uuid)
returns workflow_chat.workflow_role
language sql
stable
security definer
set search_path = ''
as $$
    select wa.role
    from workflow_chat.workflow_access wa
    where wa.workflow_id = p_workflow_id and wa.account_id = p_account_id
$$;
comment on function workflow_chat.member_role(uuid, uuid) is
    'The role of an account on a workflow, or null: the one access rule of workflow-chat.';

create function workflow_chat.require_role(
    p_workflow_id uuid,
    p_account_id uuid,
    p_min workflow_chat.workflow_role,
    p_not_found text default 'workflow not found'
)
returns workflow_chat.workflow_role
language plpgsql
stable
set search_path = ''
as $$
declare
    v_role workflow_chat.workflow_role := workflow_chat.member_role(p_workflow_id, p_account_id);
begin
    if v_role is null then
        -- Outsiders learn nothing about existence.
        raise exception using errcode = 'PT404', message = p_not_found;
    end if;
    if v_role < p_min then
        raise exception using errcode = 'PT403', message = 'insufficient role';
    end if;
    return v_role;
end;
$$;
comment on function workflow_chat.require_role(uuid, uuid, workflow_chat.workflow_role, text) is
    'Returns the caller''s role if at least p_min; PT404 (p_not_found) for non-members, PT403 for weaker roles.';

create function workflow_chat.claims_role(p_claims jsonb, p_workflow_id uuid)
returns workflow_chat.workflow_role
language sql
stable
security definer
set search_path = ''
as $$
    select workflow_chat.member_role(p_workflow_id, workflow_chat.token_account_id(p_claims))
$$;
comment on function workflow_chat.claims_role(jsonb, uuid) is
    'Role on a workflow of the holder of these claims, if their token is live; for RLS policies.';

-- ===========================================================================
-- Workflow JSON
-- ===========================================================================

create function workflow_chat.workflow_json(p_workflow workflow_chat.workflow, p_role workflow_chat.workflow_role)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', p_workflow.id,
        'name', p_workflow.name,
        'description', p_workflow.description,
        'my_role', p_role,
        'has_webhook', p_workflow.webhook_url is not null,
        'webhook_url', case when p_role >= 'admin' then p_workflow.webhook_url end,
        'created_by', p_workflow.created_by,
        'created_at', p_workflow.created_at,
        'updated_at', p_workflow.updated_at)
$$;

create function workflow_chat.member_json(p_workflow_id uuid, p_account_id uuid, p_viewer_role workflow_chat.workflow_role)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'account_id', wa.account_id,
        'display_name', p.display_name,
        'avatar_url', p.avatar_url,
        'email', case when p_viewer_role >= 'admin' then a.email end,
        'role', wa.role,
        'added_at', wa.created_at)
    from workflow_chat.workflow_access wa
    join workflow_chat.account a on a.id = wa.account_id
    join workflow_chat.userprofile p on p.account_id = wa.account_id
    where wa.workflow_id = p_workflow_id and wa.account_id = p_account_id
$$;

create function workflow_chat.parse_role(p_role text)
returns workflow_chat.workflow_role
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_role is null or p_role not in ('viewer', 'member', 'admin', 'owner') then
        raise exception using errcode = 'PT400', message = 'invalid role', detail = 'role';
    end if;
    return p_role::workflow_chat.workflow_role;
end;
$$;

-- ===========================================================================
-- Workflows
-- ===========================================================================

create function workflow_chat.create_workflow(p_name text, p_description text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_workflow workflow_chat.workflow;
begin
    insert into workflow_chat.workflow (name, description, created_by)
    values (workflow_chat.check_text(btrim(p_name), 'name', 1, 200),
            workflow_chat.check_text(coalesce(p_description, ''), 'description', 0, 2000),
            v_account_id)
    returning * into v_workflow;
    insert into workflow_chat.workflow_access (workflow_id, account_id, role, added_by)
    values (v_workflow.id, v_account_id, 'owner', v_account_id);
    return workflow_chat.workflow_json(v_workflow, 'owner');
end;
$$;

create function workflow_chat.list_workflows()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    return coalesce((
        select jsonb_agg(workflow_chat.workflow_json(w, wa.role) order by w.name, w.id)
        from workflow_chat.workflow_access wa
        join workflow_chat.workflow w on w.id = wa.workflow_id
        where wa.account_id = v_account_id), '[]'::jsonb);
end;
$$;

create function workflow_chat.get_workflow(p_workflow_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_role workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'viewer');
begin
    return (select workflow_chat.workflow_json(w, v_role) from workflow_chat.workflow w where w.id = p_workflow_id);
end;
$$;

create function workflow_chat.update_workflow(p_workflow_id uuid, p_name text, p_description text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_role workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'admin');
    v_workflow workflow_chat.workflow;
begin
    update workflow_chat.workflow w
    set name = case when p_name is null then w.name
                    else workflow_chat.check_text(btrim(p_name), 'name', 1, 200) end,
        description = case when p_description is null then w.description
                           else workflow_chat.check_text(p_description, 'description', 0, 2000) end
    where w.id = p_workflow_id
    returning * into v_workflow;
    return workflow_chat.workflow_json(v_workflow, v_role);
end;
$$;

-- ===========================================================================
-- Webhook addresses
-- ===========================================================================

create function workflow_chat.webhook_url_allowed(p_url text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
declare
    v_authority text;
    v_host text;
    v_labels text[];
    v_address inet;
begin
    -- Webhooks are posted by the database server, so an admin (which any
    -- account becomes by creating a workflow) must not be able to aim them at
    -- the server's own network and read the outcome in the delivery log.
    -- Hosts are refused when they are, or could be read by an HTTP client as,
    -- loopback, private, link-local or otherwise non-public addresses. Names
    -- that resolve to such addresses cannot be seen from here.
    if p_url is null or char_length(p_url) > 2000 or p_url !~ '^https?://[^[:space:][:cntrl:]\\]+$' then
        return false;
    end if;
    v_authority := substring(p_url from '^https?://([^/?#]*)');
    if v_authority = '' or position('@' in v_authority) > 0 then
        return false;  -- user info lets "trusted.host@other.host" look like trusted.host
    end if;
    if left(v_authority, 1) = '[' then
        v_host := substring(v_authority from '^\[([0-9A-Fa-f:.]+)\](:[0-9]{1,5})?$');
        if v_host is null then
            return false;  -- zone ids and anything else unusual
        end if;
        begin
            v_address := v_host::inet;
        exception
            when others then
                return false;
        end;
        if family(v_address) <> 6 then
            return false;
        end if;
    else
        v_host := lower(substring(v_authority from '^([^:]+)(:[0-9]{1,5})?$'));
        if v_host is null then
            return false;
        end if;
        v_host := regexp_replace(v_host, '\.$', '');
        v_labels := string_to_array(v_host, '.');
        if v_labels[cardinality(v_labels)] ~ '^(0x[0-9a-f]*|[0-9]+)$' then
            -- A host ending in a number is an IPv4 address to URL parsers,
            -- including shorthand such as 127.1, 2130706433 or 0x7f.1: only
            -- the plain dotted quad is accepted, and then checked below.
            if v_host !~ '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$' then
                return false;
            end if;
            v_address := v_host::inet;
        elsif v_host !~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' then
            return false;  -- not a plain DNS name (international names go in punycode)
        end if;
    end if;

    -- A deployment whose endpoints are local (devstack) turns this on.
    if coalesce(current_setting('workflow_chat.webhook_allow_private', true), '') = 'on' then
        return true;
    end if;
    if v_address is null then
        return v_host <> 'localhost' and v_host !~ '\.(localhost|local|internal)$';
    end if;
    return not v_address <<= any (array[
        -- IPv4: this network, private, shared (CGNAT), loopback, link-local,
        -- IETF protocol, documentation, 6to4 relay, benchmarking, multicast, reserved
        '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
        '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
        '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
        -- IPv6: unspecified, loopback and IPv4-compatible, IPv4-mapped, NAT64,
        -- discard, documentation, unique local, site-local, link-local, multicast
        '::/96', '::ffff:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001:db8::/32',
        'fc00::/7', 'fec0::/10', 'fe80::/10', 'ff00::/8']::inet[]);
end;
$$;
comment on function workflow_chat.webhook_url_allowed(text) is
    'True for an http(s) URL whose host is a public DNS name or address; private hosts only when the setting '
    'workflow_chat.webhook_allow_private is on.';

create function workflow_chat.set_webhook(p_workflow_id uuid, p_url text, p_secret text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_role workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'admin');
    v_workflow workflow_chat.workflow;
begin
    select * into v_workflow from workflow_chat.workflow w where w.id = p_workflow_id for update;
    if nullif(p_url, '') is null then
        update workflow_chat.workflow set webhook_url = null, webhook_secret = null
        where id = p_workflow_id returning * into v_workflow;
        return workflow_chat.workflow_json(v_workflow, v_role);
    end if;
    if not workflow_chat.webhook_url_allowed(p_url) then
        raise exception using errcode = 'PT400', message = 'invalid url', detail = 'url';
    end if;
    if p_secret is null and v_workflow.webhook_secret is null then
        raise exception using errcode = 'PT400', message = 'invalid argument', detail = 'secret';
    end if;
    if p_secret is not null then
        perform workflow_chat.check_text(p_secret, 'secret', 16, 200);
    end if;
    update workflow_chat.workflow
    set webhook_url = p_url, webhook_secret = coalesce(p_secret, webhook_secret)
    where id = p_workflow_id
    returning * into v_workflow;
    return workflow_chat.workflow_json(v_workflow, v_role);
end;
$$;

create function workflow_chat.delete_workflow(p_workflow_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
begin
    perform workflow_chat.require_role(p_workflow_id, v_account_id, 'owner');
    delete from workflow_chat.workflow where id = p_workflow_id;
end;
$$;

-- ===========================================================================
-- Members
-- ===========================================================================

create function workflow_chat.list_members(p_workflow_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_role workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'viewer');
begin
    return coalesce((
        select jsonb_agg(workflow_chat.member_json(p_workflow_id, wa.account_id, v_role)
                         order by wa.role desc, p.display_name, wa.account_id)
        from workflow_chat.workflow_access wa
        join workflow_chat.userprofile p on p.account_id = wa.account_id
        where wa.workflow_id = p_workflow_id), '[]'::jsonb);
end;
$$;

-- Admins manage viewers and members; owners manage everyone.
create function workflow_chat.may_manage(p_actor workflow_chat.workflow_role, p_role workflow_chat.workflow_role)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select p_actor = 'owner' or (p_actor = 'admin' and p_role <= 'member')
$$;

create function workflow_chat.add_member(p_workflow_id uuid, p_email text, p_role text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_actor workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'admin');
    v_role workflow_chat.workflow_role := workflow_chat.parse_role(coalesce(p_role, 'member'));
    v_email text := workflow_chat.normalize_email(p_email);
    v_target uuid;
begin
    if not workflow_chat.may_manage(v_actor, v_role) then
        raise exception using errcode = 'PT403', message = 'insufficient role';
    end if;
    select a.id into v_target from workflow_chat.account a where a.email = v_email;
    if v_target is null then
        raise exception using errcode = 'PT404', message = 'account not found';
    end if;
    insert into workflow_chat.workflow_access (workflow_id, account_id, role, added_by)
    values (p_workflow_id, v_target, v_role, v_account_id)
    on conflict do nothing;
    if not found then
        raise exception using errcode = 'PT409', message = 'already a member';
    end if;
    return workflow_chat.member_json(p_workflow_id, v_target, v_actor);
end;
$$;

create function workflow_chat.owner_count(p_workflow_id uuid)
returns bigint
language sql
stable
set search_path = ''
as $$
    select count(*) from workflow_chat.workflow_access wa
    where wa.workflow_id = p_workflow_id and wa.role = 'owner'
$$;

create function workflow_chat.set_member_role(p_workflow_id uuid, p_account_id uuid, p_role text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_actor workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'admin');
    v_role workflow_chat.workflow_role := workflow_chat.parse_role(p_role);
    v_current workflow_chat.workflow_role;
begin
    -- Lock the workflow's member list so "last owner" cannot race.
    perform 1 from workflow_chat.workflow w where w.id = p_workflow_id for update;
    v_current := workflow_chat.member_role(p_workflow_id, p_account_id);
    if v_current is null then
        raise exception using errcode = 'PT404', message = 'account not found';
    end if;
    if not workflow_chat.may_manage(v_actor, v_current) or not workflow_chat.may_manage(v_actor, v_role) then
        raise exception using errcode = 'PT403', message = 'insufficient role';
    end if;
    if v_current = 'owner' and v_role <> 'owner' and workflow_chat.owner_count(p_workflow_id) = 1 then
        raise exception using errcode = 'PT409', message = 'last owner';
    end if;
    update workflow_chat.workflow_access set role = v_role
    where workflow_id = p_workflow_id and account_id = p_account_id;
    return workflow_chat.member_json(p_workflow_id, p_account_id, v_actor);
end;
$$;

create function workflow_chat.remove_member(p_workflow_id uuid, p_account_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account_id uuid := workflow_chat.current_account_id();
    v_actor workflow_chat.workflow_role := workflow_chat.require_role(p_workflow_id, v_account_id, 'viewer');
    v_current workflow_chat.workflow_role;
begin
    perform 1 from workflow_chat.workflow w where w.id = p_workflow_id for update;
    v_current := workflow_chat.member_role(p_workflow_id, p_account_id);
    if v_current is null then
        raise exception using errcode = 'PT404', message = 'account not found';
    end if;
    if p_account_id <> v_account_id and not workflow_chat.may_manage(v_actor, v_current) then
        raise exception using errcode = 'PT403', message = 'insufficient role';
    end if;
    if v_current = 'owner' and workflow_chat.owner_count(p_workflow_id) = 1 then
        raise exception using errcode = 'PT409', message = 'last owner';
    end if;
    delete from workflow_chat.workflow_access where workflow_id = p_workflow_id and account_id = p_account_id;
end;
$$;

-- ===========================================================================
-- Second-line policies: members see their workflow's rows
-- ===========================================================================

create policy workflow_member_read on workflow_chat.workflow for select to authenticated
    using (workflow_chat.claims_role((select auth.jwt()), id) is not null);
create policy workflow_access_member_read on workflow_chat.workflow_access for select to authenticated
    using (workflow_chat.claims_role((select auth.jwt()), workflow_id) is not null);
-- One policy for both cases (own profile, co-members' profiles): several
-- permissive policies for one role and action would all run for every row.
create policy userprofile_visible_read on workflow_chat.userprofile for select to authenticated
    using (account_id = (select workflow_chat.token_account_id((select auth.jwt())))
           or exists (select 1 from workflow_chat.workflow_access wa
                      where wa.account_id = userprofile.account_id
                        and workflow_chat.claims_role((select auth.jwt()), wa.workflow_id) is not null));

-- ===========================================================================
-- Grants
-- ===========================================================================

revoke all on function workflow_chat.member_role(uuid, uuid) from public;
revoke all on function workflow_chat.require_role(uuid, uuid, workflow_chat.workflow_role, text) from public;
revoke all on function workflow_chat.claims_role(jsonb, uuid) from public;
revoke all on function workflow_chat.workflow_json(workflow_chat.workflow, workflow_chat.workflow_role) from public;
revoke all on function workflow_chat.member_json(uuid, uuid, workflow_chat.workflow_role) from public;
revoke all on function workflow_chat.parse_role(text) from public;
revoke all on function workflow_chat.create_workflow(text, text) from public;
revoke all on function workflow_chat.list_workflows() from public;
revoke all on function workflow_chat.get_workflow(uuid) from public;
revoke all on function workflow_chat.update_workflow(uuid, text, text) from public;
revoke all on function workflow_chat.webhook_url_allowed(text) from public;
revoke all on function workflow_chat.set_webhook(uuid, text, text) from public;
revoke all on function workflow_chat.delete_workflow(uuid) from public;
revoke all on function workflow_chat.list_members(uuid) from public;
revoke all on function workflow_chat.may_manage(workflow_chat.workflow_role, workflow_chat.workflow_role) from public;
revoke all on function workflow_chat.add_member(uuid, text, text) from public;
revoke all on function workflow_chat.owner_count(uuid) from public;
revoke all on function workflow_chat.set_member_role(uuid, uuid, text) from public;
revoke all on function workflow_chat.remove_member(uuid, uuid) from public;

grant execute on function workflow_chat.claims_role(jsonb, uuid) to authenticated;
grant execute on function workflow_chat.create_workflow(text, text) to anon, authenticated;
grant execute on function workflow_chat.list_workflows() to anon, authenticated;
grant execute on function workflow_chat.get_workflow(uuid) to anon, authenticated;
grant execute on function workflow_chat.update_workflow(uuid, text, text) to anon, authenticated;
grant execute on function workflow_chat.set_webhook(uuid, text, text) to anon, authenticated;
grant execute on function workflow_chat.delete_workflow(uuid) to anon, authenticated;
grant execute on function workflow_chat.list_members(uuid) to anon, authenticated;
grant execute on function workflow_chat.add_member(uuid, text, text) to anon, authenticated;
grant execute on function workflow_chat.set_member_role(uuid, uuid, text) to anon, authenticated;
grant execute on function workflow_chat.remove_member(uuid, uuid) to anon, authenticated;
