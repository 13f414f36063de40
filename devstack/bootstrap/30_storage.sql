-- Platform bootstrap, part 3: the `storage` schema tables and helpers that
-- Supabase Storage keeps in the project database. devstack's Storage server
-- works on these tables. Idempotent.
--
-- Objects and where they come from (supabase/storage, migrations/tenant/):
--   schema storage, usage for postgres, anon, authenticated, service_role
--       0002-storage-schema.sql
--   storage.buckets(id text pk, name text, owner uuid, created_at, updated_at,
--   public, avif_autodetection, file_size_limit bigint, allowed_mime_types text[],
--   owner_id text, type), unique index bname(name), RLS enabled
--       0002-storage-schema.sql, 0007-add-rls-to-buckets.sql,
--       0008-add-public-to-buckets.sql, 0012-add-automatic-avif-detection-flag.sql,
--       0013-add-bucket-custom-limits.sql, 0018-add_owner_id_column_deprecate_owner.sql,
--       0038-iceberg-catalog-flag-on-buckets.sql (type is an enum
--       storage.buckettype there: 'STANDARD' | 'ANALYTICS' | 'VECTOR'; text
--       with a check here)
--   storage.objects(id uuid pk, bucket_id text fk, name text, owner uuid,
--   created_at, updated_at, last_accessed_at, metadata jsonb, path_tokens text[]
--   generated from name, version text, owner_id text, user_metadata jsonb),
--   unique index bucketid_objname(bucket_id, name), name_prefix_search, RLS enabled
--       0002-storage-schema.sql, 0003-pathtoken-column.sql,
--       0016-add-version.sql (version), 0018, 0025-custom-metadata.sql
--       (the prefix/level bookkeeping of 0026+ and object versioning of 0062
--       are not reproduced)
--   owner supabase_storage_admin
--       00000000000002-storage-schema.sql in supabase/postgres, Storage's
--       own migrations running as that role
--   grants: all on buckets and objects to anon, authenticated, service_role;
--   to postgres with grant option
--       0046-buckets-objects-grants.sql, 0049-buckets-objects-grants-postgres.sql
--   storage.foldername(name text) returns text[],
--   storage.filename(name text) returns text,
--   storage.extension(name text) returns text (plpgsql immutable)
--       0060-optimize-existing-functions-again.sql, 0061-mark-filename-immutable.sql
--   storage.operation() returns text
--       0024-operation-function.sql (current_setting('storage.operation', true))
--   storage.protect_delete() + statement triggers protect_buckets_delete,
--   protect_objects_delete: direct DELETEs fail with 42501 unless the
--   transaction set storage.allow_delete_query = 'true' (as the Storage
--   server does)
--       0055-prevent-direct-deletes.sql

create schema if not exists storage;
grant usage on schema storage to postgres, anon, authenticated, service_role;

create table if not exists storage.buckets (
    id text not null primary key,
    name text not null,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[],
    owner_id text,
    type text not null default 'STANDARD' check (type in ('STANDARD', 'ANALYTICS', 'VECTOR'))
);
create unique index if not exists bname on storage.buckets using btree (name);
alter table storage.buckets enable row level security;

create table if not exists storage.objects (
    id uuid not null default gen_random_uuid() primary key,
    bucket_id text constraint "objects_bucketId_fkey" references storage.buckets (id),
    name text,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    owner_id text,
    user_metadata jsonb
);
create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
alter table storage.objects enable row level security;

alter schema storage owner to supabase_storage_admin;
alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on storage.buckets, storage.objects to postgres with grant option;
-- Lets postgres create policies on the storage tables, as supautils'
-- policy_grants does on Supabase; 95_platform_guards.sql refuses anything
-- else a member of the owner could do.
grant supabase_storage_admin to postgres;

create or replace function storage.foldername(name text)
returns text[]
language plpgsql
immutable
as $function$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1 : array_length(_parts, 1) - 1];
end
$function$;

create or replace function storage.filename(name text)
returns text
language plpgsql
immutable
as $function$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$function$;

create or replace function storage.extension(name text)
returns text
language plpgsql
immutable
as $function$
declare
    _parts text[];
    _filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$function$;

create or replace function storage.operation()
returns text
language plpgsql
stable
as $function$
begin
    return current_setting('storage.operation', true);
end;
$function$;

create or replace function storage.protect_delete()
returns trigger
language plpgsql
as $$
begin
    if coalesce(current_setting('storage.allow_delete_query', true), 'false') != 'true' then
        raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
            using hint = 'This prevents accidental data loss from orphaned objects.',
                  errcode = '42501';
    end if;
    return null;
end;
$$;

create or replace trigger protect_buckets_delete
    before delete on storage.buckets
    for each statement execute function storage.protect_delete();

create or replace trigger protect_objects_delete
    before delete on storage.objects
    for each statement execute function storage.protect_delete();
