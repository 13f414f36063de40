-- Storage: the wc-attachments bucket (private, size limit, MIME allow-list
-- with audio/*) and the RLS on storage.objects per role, exercised the way
-- Supabase Storage does: INSERT as the user for uploads, SELECT for
-- downloads/listing, DELETE for removal.
begin;
\ir helpers/caller.psql
select plan(16);

select tests.new_account('olga'), tests.new_account('adam'), tests.new_account('mia'), tests.new_account('vic'),
       tests.new_account('eve');
create temp table fx (k text primary key, v text);
grant all on fx to public;
create function pg_temp.fx(p_k text) returns text language sql as $$ select v from fx where k = p_k $$;

select tests.act_as('olga');
insert into fx select 'wf', public.wc_create_workflow('Files') ->> 'id';
select public.wc_add_member(pg_temp.fx('wf')::uuid, h || '@example.test', r)
from (values ('adam', 'admin'), ('mia', 'member'), ('vic', 'viewer')) v(h, r);
insert into fx select 's', public.wc_create_session(pg_temp.fx('wf')::uuid, 'Docs') ->> 'id';
insert into fx select 'archived', public.wc_create_session(pg_temp.fx('wf')::uuid, 'Old') ->> 'id';
select public.wc_archive_session(pg_temp.fx('archived')::uuid);
insert into fx values ('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s') || '/' || gen_random_uuid() || '/notes.pdf');

select tests.act_as_postgres();
select is((select public from storage.buckets where id = 'wc-attachments'), false, 'the bucket is private');
select is((select file_size_limit from storage.buckets where id = 'wc-attachments'), 26214400::bigint, '25 MiB limit');
select ok((select 'audio/*' = any(allowed_mime_types) from storage.buckets where id = 'wc-attachments'),
          'audio/* is allowed (recorders send audio/webm;codecs=opus)');

create function pg_temp.upload(p_handle text, p_name text) returns text language sql as $$
    select tests.outcome(format(
        $q$select tests.act_as(%L); insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
           values ('wc-attachments', %L, %L, %L, '{"size": 10, "mimetype": "application/pdf"}')$q$,
        p_handle, p_name, tests.account(p_handle), tests.account(p_handle)))
$$;
select is(pg_temp.upload('mia', pg_temp.fx('path')), 'OK', 'a member uploads into a session of the workflow');
select is(pg_temp.upload('vic', pg_temp.fx('path')), '42501', 'a viewer may not upload');
select is(pg_temp.upload('eve', pg_temp.fx('path')), '42501', 'an outsider may not upload');
select is(pg_temp.upload('mia', pg_temp.fx('wf') || '/' || pg_temp.fx('archived') || '/' || gen_random_uuid() || '/a.pdf'),
          '42501', 'no uploads into archived sessions');
select is(pg_temp.upload('mia', pg_temp.fx('wf') || '/' || gen_random_uuid() || '/' || gen_random_uuid() || '/a.pdf'),
          '42501', 'no uploads into a session outside the workflow');
select is(pg_temp.upload('mia', pg_temp.fx('wf') || '/' || pg_temp.fx('s') || '/a.pdf'), '42501', 'the path must have four parts');

-- An object uploaded by mia, for read and delete checks.
select tests.act_as_postgres();
insert into storage.objects (bucket_id, name, owner, owner_id)
values ('wc-attachments', pg_temp.fx('path'), tests.account('mia'), tests.account('mia'));

create function pg_temp.sees(p_handle text) returns boolean language plpgsql as $$
declare
    v boolean;
begin
    perform tests.act_as(p_handle);
    select exists (select 1 from storage.objects where name = pg_temp.fx('path')) into v;
    perform tests.act_as_postgres();
    return v;
end;
$$;
select ok(pg_temp.sees('vic'), 'a viewer reads attachments');
select ok(not pg_temp.sees('eve'), 'an outsider does not');

create function pg_temp.deletes(p_handle text) returns integer language plpgsql as $$
declare
    v integer;
begin
    perform tests.act_as(p_handle);
    perform set_config('storage.allow_delete_query', 'true', true);
    begin
        delete from storage.objects where name = pg_temp.fx('path');
        get diagnostics v = row_count;
        raise exception using errcode = 'TOKOK';
    exception when sqlstate 'TOKOK' then null;
    end;
    perform tests.act_as_postgres();
    return v;
end;
$$;
select is(pg_temp.deletes('vic'), 0, 'a viewer cannot delete');
select is(pg_temp.deletes('olga'), 1, 'the owner (admin+) can delete');
select is(pg_temp.deletes('mia'), 1, 'the uploader can delete');

create function pg_temp.updates(p_handle text) returns integer language plpgsql as $$
declare
    v integer;
begin
    perform tests.act_as(p_handle);
    update storage.objects set metadata = '{}' where name = pg_temp.fx('path');
    get diagnostics v = row_count;
    perform tests.act_as_postgres();
    return v;
end;
$$;
select is(pg_temp.updates('olga'), 0, 'nobody overwrites (no UPDATE policy)');

-- Revoked tokens lose access.
update workflow_chat.auth_tokens set revoked_at = now() where jti = tests.jti('vic');
select ok(not pg_temp.sees('vic'), 'a revoked token cannot read');

select * from finish();
rollback;
