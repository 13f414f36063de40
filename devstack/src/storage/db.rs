//! Storage's rows in `storage.buckets` and `storage.objects`.
//!
//! Queries that decide access run "as the user": in a transaction on the
//! API pool, after the settings Supabase Storage sets (`role`, the JWT and
//! its claims, request facts, `storage.operation`,
//! `storage.allow_delete_query`; `src/internal/database/postgres/scope.ts`),
//! so the project's row-level security policies decide. Bookkeeping (bucket
//! limits, the final write of an upload, reads through signed URLs) runs as
//! the superuser.

use std::collections::HashSet;

use deadpool_postgres::{Object, Pool};
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use super::caller::Caller;
use super::error::{StorageError, StorageResult};
use crate::server::DEFAULT_STATEMENT_TIMEOUTS;

/// The settings of a user-scoped transaction.
const SCOPE_SQL: &str = "
select set_config('role', $1, true),
       set_config('request.jwt.claim.role', $1, true),
       set_config('request.jwt', $2, true),
       set_config('request.jwt.claim.sub', $3, true),
       set_config('request.jwt.claims', $4, true),
       set_config('request.headers', $5, true),
       set_config('request.method', $6, true),
       set_config('request.path', $7, true),
       set_config('storage.operation', $8, true),
       set_config('storage.allow_delete_query', 'true', true),
       set_config('statement_timeout', coalesce($9::text, current_setting('statement_timeout')), true)";

/// A timestamp as JavaScript's `Date.toJSON` writes it, which is what
/// Storage's JSON carries.
macro_rules! js_time {
    ($col:expr) => {
        concat!(
            "to_char(",
            $col,
            " at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        )
    };
}

/// Who is asking and for what: the facts a user-scoped transaction
/// exposes to policies.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// The caller.
    pub caller: &'a Caller,
    /// HTTP method.
    pub method: &'a str,
    /// Path below `/storage/v1`.
    pub path: &'a str,
    /// Storage's operation name (`storage.object.upload`, ...).
    pub operation: &'static str,
    /// Request headers as a JSON object with lower-cased names.
    pub headers_json: String,
}

/// A bucket's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The bucket id.
    pub id: String,
    /// Whether objects are readable without authorization.
    pub public: bool,
    /// Largest object in bytes, if limited.
    pub file_size_limit: Option<i64>,
    /// Allowed MIME types; empty allows all.
    pub allowed_mime_types: Vec<String>,
}

/// An object row.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRow {
    /// Object id.
    pub id: uuid::Uuid,
    /// Key within the bucket.
    pub name: String,
    /// The bucket.
    pub bucket_id: String,
    /// The stored version: the blob's file name.
    pub version: Option<String>,
    /// System metadata (`eTag`, `size`, `mimetype`, ...).
    pub metadata: Value,
    /// Metadata given by the uploader.
    pub user_metadata: Value,
    /// Creation time, JSON-formatted.
    pub created_at: Option<String>,
    /// Last update time, JSON-formatted.
    pub updated_at: Option<String>,
}

const OBJECT_COLUMNS: &str = concat!(
    "id, name, bucket_id, version, coalesce(metadata, 'null'::jsonb), ",
    "coalesce(user_metadata, 'null'::jsonb), ",
    js_time!("created_at"),
    ", ",
    js_time!("updated_at")
);

impl ObjectRow {
    fn from_row(row: &tokio_postgres::Row) -> Self {
        ObjectRow {
            id: row.get(0),
            name: row.get(1),
            bucket_id: row.get(2),
            version: row.get(3),
            metadata: row.get(4),
            user_metadata: row.get(5),
            created_at: row.get(6),
            updated_at: row.get(7),
        }
    }
}

/// What the database needs to record an object.
#[derive(Debug, Clone)]
pub struct NewObject<'a> {
    /// The bucket.
    pub bucket: &'a str,
    /// The key.
    pub name: &'a str,
    /// The uploader's `sub`, if any.
    pub owner: Option<&'a str>,
    /// System metadata.
    pub metadata: &'a Value,
    /// Uploader metadata.
    pub user_metadata: Option<&'a Value>,
    /// The blob version.
    pub version: &'a str,
}

fn pool_error(e: deadpool_postgres::PoolError) -> StorageError {
    match e {
        deadpool_postgres::PoolError::Timeout(_) => StorageError::database_timeout(),
        other => StorageError::internal(format!("database connection error: {other}")),
    }
}

fn db_error(e: tokio_postgres::Error) -> StorageError {
    StorageError::from_db(&e)
}

async fn client(pool: &Pool) -> StorageResult<Object> {
    pool.get().await.map_err(pool_error)
}

/// Applies the user scope to a transaction.
async fn enter_scope(tx: &Transaction<'_>, scope: &Scope<'_>) -> StorageResult<()> {
    let caller = scope.caller;
    let claims = Value::Object(caller.claims.clone()).to_string();
    let sub = caller.sub().unwrap_or("").to_string();
    let timeout = DEFAULT_STATEMENT_TIMEOUTS
        .iter()
        .find(|(role, _)| *role == caller.role)
        .map(|(_, t)| t.to_string());
    let params: [&(dyn ToSql + Sync); 9] = [
        &caller.role,
        &caller.jwt,
        &sub,
        &claims,
        &scope.headers_json,
        &scope.method,
        &scope.path,
        &scope.operation,
        &timeout,
    ];
    tx.query_one(SCOPE_SQL, &params).await.map_err(|e| {
        match e.as_db_error() {
            // A role claim naming no database role.
            Some(db) if db.code().code() == "22023" => StorageError::access_denied(db.message()),
            _ => db_error(e),
        }
    })?;
    Ok(())
}

/// The bucket's settings, read as the superuser.
pub async fn bucket(admin: &Pool, id: &str) -> StorageResult<Option<Bucket>> {
    let client = client(admin).await?;
    let row = client
        .query_opt(
            "select id, coalesce(public, false), file_size_limit, \
                    coalesce(allowed_mime_types, '{}') \
               from storage.buckets where id = $1",
            &[&id],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|r| Bucket {
        id: r.get(0),
        public: r.get(1),
        file_size_limit: r.get(2),
        allowed_mime_types: r.get(3),
    }))
}

fn owner_uuid(owner: Option<&str>) -> Option<uuid::Uuid> {
    owner.and_then(|o| uuid::Uuid::parse_str(o).ok())
}

const INSERT_SQL: &str = "
insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
values ($1, $2, $3, $4, $5, $6, $7)";

const UPSERT_SQL: &str = "
insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
values ($1, $2, $3, $4, $5, $6, $7)
on conflict (name, bucket_id) do update
   set metadata = excluded.metadata,
       user_metadata = excluded.user_metadata,
       version = excluded.version,
       owner = excluded.owner,
       owner_id = excluded.owner_id,
       updated_at = now()
returning id";

/// Whether the caller may write this object: the insert (or upsert) runs
/// as the user and is rolled back, as Storage's `canUpload` does.
pub async fn probe_upload(
    db: &Pool,
    scope: &Scope<'_>,
    object: &NewObject<'_>,
    upsert: bool,
) -> StorageResult<()> {
    let mut client = client(db).await?;
    let tx = client.transaction().await.map_err(db_error)?;
    enter_scope(&tx, scope).await?;
    let owner = owner_uuid(object.owner);
    let params: [&(dyn ToSql + Sync); 7] = [
        &object.bucket,
        &object.name,
        &owner,
        &object.owner,
        object.metadata,
        &object.user_metadata,
        &object.version,
    ];
    let result = if upsert {
        tx.query(UPSERT_SQL, &params).await.map(|_| ())
    } else {
        tx.execute(INSERT_SQL, &params).await.map(|_| ())
    };
    let _ = tx.rollback().await;
    result.map_err(|e| match StorageError::from_db(&e) {
        dup if dup.code == "ResourceAlreadyExists" => StorageError::already_exists(),
        other => other,
    })
}

/// Records an uploaded object as the superuser, after its blob is in
/// place. Returns the object id and the version it replaced, if any.
pub async fn record_upload(
    admin: &Pool,
    object: &NewObject<'_>,
    upsert: bool,
) -> StorageResult<(uuid::Uuid, Option<String>)> {
    let mut client = client(admin).await?;
    let tx = client.transaction().await.map_err(db_error)?;
    // Serialises writers of one key, as Storage's object lock does.
    tx.execute(
        "select pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))",
        &[&object.bucket, &object.name],
    )
    .await
    .map_err(db_error)?;
    let previous: Option<Option<String>> = tx
        .query_opt(
            "select version from storage.objects where bucket_id = $1 and name = $2 for update",
            &[&object.bucket, &object.name],
        )
        .await
        .map_err(db_error)?
        .map(|r| r.get(0));
    if previous.is_some() && !upsert {
        return Err(StorageError::already_exists());
    }
    let owner = owner_uuid(object.owner);
    let params: [&(dyn ToSql + Sync); 7] = [
        &object.bucket,
        &object.name,
        &owner,
        &object.owner,
        object.metadata,
        &object.user_metadata,
        &object.version,
    ];
    let row = tx.query_one(UPSERT_SQL, &params).await.map_err(db_error)?;
    let id: uuid::Uuid = row.get(0);
    tx.commit().await.map_err(db_error)?;
    Ok((id, previous.flatten()))
}

/// The object as the caller may see it (`None` when missing or hidden by
/// policy).
pub async fn find_as_user(
    db: &Pool,
    scope: &Scope<'_>,
    bucket: &str,
    name: &str,
) -> StorageResult<Option<ObjectRow>> {
    let mut client = client(db).await?;
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(db_error)?;
    enter_scope(&tx, scope).await?;
    let sql = format!(
        "select {OBJECT_COLUMNS} from storage.objects where name = $1 and bucket_id = $2 limit 1"
    );
    let row = tx
        .query_opt(&sql, &[&name, &bucket])
        .await
        .map_err(db_error)?;
    let _ = tx.commit().await;
    Ok(row.as_ref().map(ObjectRow::from_row))
}

/// The object regardless of policies.
pub async fn find_as_admin(
    admin: &Pool,
    bucket: &str,
    name: &str,
) -> StorageResult<Option<ObjectRow>> {
    let client = client(admin).await?;
    let sql = format!(
        "select {OBJECT_COLUMNS} from storage.objects where name = $1 and bucket_id = $2 limit 1"
    );
    let row = client
        .query_opt(&sql, &[&name, &bucket])
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(ObjectRow::from_row))
}

/// Which of `names` exist and are visible to the caller.
pub async fn visible_names(
    db: &Pool,
    scope: &Scope<'_>,
    bucket: &str,
    names: &[String],
) -> StorageResult<HashSet<String>> {
    let mut client = client(db).await?;
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(db_error)?;
    enter_scope(&tx, scope).await?;
    let rows = tx
        .query(
            "select name from storage.objects where bucket_id = $1 and name = any($2::text[])",
            &[&bucket, &names],
        )
        .await
        .map_err(db_error)?;
    let _ = tx.commit().await;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Deletes objects as the user; returns the deleted rows as Storage's JSON
/// and their versions. Policies that refuse a row make it silently stay.
pub async fn delete_as_user(
    db: &Pool,
    scope: &Scope<'_>,
    bucket: &str,
    names: &[String],
) -> StorageResult<(Vec<Value>, Vec<String>)> {
    let mut client = client(db).await?;
    let tx = client.transaction().await.map_err(db_error)?;
    enter_scope(&tx, scope).await?;
    let sql = concat!(
        "delete from storage.objects where bucket_id = $1 and name = any($2::text[]) ",
        "returning version, jsonb_build_object(",
        "'bucket_id', bucket_id, 'name', name, 'owner', owner, 'owner_id', owner_id, ",
        "'version', version, 'id', id, ",
        "'updated_at', ",
        js_time!("updated_at"),
        ", 'created_at', ",
        js_time!("created_at"),
        ", 'last_accessed_at', ",
        js_time!("last_accessed_at"),
        ", 'metadata', metadata, 'user_metadata', user_metadata)"
    );
    let rows = tx.query(sql, &[&bucket, &names]).await.map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    let versions = rows
        .iter()
        .filter_map(|r| r.get::<_, Option<String>>(0))
        .collect();
    let objects = rows.iter().map(|r| r.get(1)).collect();
    Ok((objects, versions))
}

/// Every version some object row points at.
pub async fn live_versions(admin: &Pool) -> StorageResult<HashSet<String>> {
    let client = client(admin).await?;
    let rows = client
        .query(
            "select version from storage.objects where version is not null",
            &[],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Options of a folder listing (`POST /object/list/{bucket}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListOptions {
    /// Folder to list, ending with `/` unless empty.
    pub prefix: String,
    /// Start of the names to return, within the folder.
    pub search: String,
    /// Page size.
    pub limit: i64,
    /// Entries to skip.
    pub offset: i64,
    /// Sort column: `name`, `updated_at`, `created_at` or `last_accessed_at`.
    pub column: &'static str,
    /// Whether to sort ascending.
    pub ascending: bool,
}

/// One level of a folder as the caller may see it: sub-folders (`id`
/// null) and files, names relative to the prefix, matching
/// case-insensitively as Storage's `storage.search` does.
pub async fn list_as_user(
    db: &Pool,
    scope: &Scope<'_>,
    bucket: &str,
    options: &ListOptions,
) -> StorageResult<Vec<Value>> {
    let direction = if options.ascending { "asc" } else { "desc" };
    // Storage merges folders and files by name; for other columns it lists
    // folders (by name) before files (by that column).
    let order = if options.column == "name" {
        format!("lower(e.name) collate \"C\" {direction}")
    } else {
        format!(
            "e.is_file, case when e.is_file then null else lower(e.name) collate \"C\" end {direction}, \
             e.{} {direction}, e.name",
            options.column
        )
    };
    let sql = format!(
        "with matched as (
            select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata,
                   substr(o.name, char_length($2) + 1) as rest
              from storage.objects o
             where o.bucket_id = $1
               and starts_with(lower(o.name), lower($2 || $3))
         ), entries as (
            select distinct split_part(rest, '/', 1) as name, null::uuid as id,
                   null::timestamptz as updated_at, null::timestamptz as created_at,
                   null::timestamptz as last_accessed_at, null::jsonb as metadata,
                   false as is_file
              from matched where strpos(rest, '/') > 0
            union all
            select rest, id, updated_at, created_at, last_accessed_at, metadata, true
              from matched where strpos(rest, '/') = 0
         )
         select jsonb_build_object(
                  'name', e.name, 'id', e.id,
                  'updated_at', {updated}, 'created_at', {created},
                  'last_accessed_at', {accessed}, 'metadata', e.metadata)
           from entries e
          order by {order}
          limit $4 offset $5",
        updated = js_time!("e.updated_at"),
        created = js_time!("e.created_at"),
        accessed = js_time!("e.last_accessed_at"),
    );
    let mut client = client(db).await?;
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(db_error)?;
    enter_scope(&tx, scope).await?;
    let rows = tx
        .query(
            &sql,
            &[
                &bucket,
                &options.prefix,
                &options.search,
                &options.limit,
                &options.offset,
            ],
        )
        .await
        .map_err(db_error)?;
    let _ = tx.commit().await;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
