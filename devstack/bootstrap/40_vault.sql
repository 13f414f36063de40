-- Platform bootstrap, part 4: Supabase Vault's interface. Idempotent.
--
-- Objects and where they come from (supabase/vault sql/supabase_vault--0.3.0.sql,
-- unchanged in 0.3.1):
--   vault.secrets(id uuid pk, name text, description text not null default '',
--   secret text not null, key_id uuid, nonce bytea, created_at, updated_at),
--   unique index on name where name is not null
--   view vault.decrypted_secrets(id, name, description, secret, decrypted_secret,
--   key_id, nonce, created_at, updated_at)
--   vault.create_secret(new_secret text, new_name text = null,
--   new_description text = '', new_key_id uuid = null) returns uuid
--   vault.update_secret(secret_id uuid, new_secret text = null, new_name text = null,
--   new_description text = null, new_key_id uuid = null) returns void
--   both SECURITY DEFINER with search_path = '', EXECUTE revoked from PUBLIC
--   (so only `postgres`, the owner, and superusers may call them by default)
--
-- Difference: secrets are stored in PLAINTEXT here (`secret` holds the value
-- and decrypted_secrets.decrypted_secret repeats it). Supabase encrypts them
-- with pgsodium/libsodium AEAD; this local stack has no key management and is
-- not for production data. Schema usage is granted to postgres only, as on
-- Supabase.

create schema if not exists vault;
revoke all on schema vault from public;
grant usage on schema vault to postgres with grant option;

create table if not exists vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';
create unique index if not exists secrets_name_idx on vault.secrets using btree (name) where name is not null;

create or replace view vault.decrypted_secrets as
select s.id,
       s.name,
       s.description,
       s.secret,
       s.secret as decrypted_secret,
       s.key_id,
       s.nonce,
       s.created_at,
       s.updated_at
from vault.secrets s;

create or replace function vault.create_secret(
    new_secret text,
    new_name text = null,
    new_description text = '',
    new_key_id uuid = null
)
returns uuid
security definer
language plpgsql
set search_path = ''
as $$
declare
    new_id uuid;
begin
    insert into vault.secrets (secret, name, description)
    values (new_secret, new_name, new_description)
    returning id into new_id;
    return new_id;
end
$$;

create or replace function vault.update_secret(
    secret_id uuid,
    new_secret text = null,
    new_name text = null,
    new_description text = null,
    new_key_id uuid = null
)
returns void
security definer
language plpgsql
set search_path = ''
as $$
begin
    update vault.secrets s
    set secret = coalesce(new_secret, s.secret),
        name = coalesce(new_name, s.name),
        description = coalesce(new_description, s.description),
        updated_at = now()
    where s.id = secret_id;
end
$$;

revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
-- On Supabase postgres manages secrets (Vault's objects belong to
-- supabase_admin, which the bootstrap runs as here).
grant execute on function vault.create_secret(text, text, text, uuid) to postgres;
grant execute on function vault.update_secret(uuid, text, text, text, uuid) to postgres;
grant select, delete on vault.secrets to postgres;
grant select on vault.decrypted_secrets to postgres;
