//! One function per Storage operation, in the order of checks Storage
//! uses (`src/http/routes/object/*.ts`, `src/storage/object.ts`).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::blob::{BlobStore, BlobWriter};
use super::caller::{self, Caller, TokenRule};
use super::db::{self, ListOptions, NewObject, ObjectRow};
use super::error::{StorageError, StorageResult};
use super::render::{self, RenderOptions};
use super::route::{self, Access, Route, Undecodable};
use super::token::{self, Scope as TokenScope};
use super::upload::{self, FileBody, FileFacts};
use super::{key, mime, Storage};
use crate::clock::{unix_now, unix_secs};
use crate::http::parse_query;

/// Most objects one request may delete or sign.
pub const MAX_OBJECTS_PER_REQUEST: usize = 1000;

/// Most entries one listing returns (`storage.search` caps at 1500).
pub const MAX_LIST_LIMIT: i64 = 1500;

/// Longest signed URL lifetime accepted, in seconds (100 years).
pub const MAX_EXPIRES_IN: i64 = 100 * 365 * 24 * 60 * 60;

/// What every operation needs to know about its request.
struct Ctx<'a> {
    storage: &'a Storage,
    method: &'a Method,
    path: &'a str,
    headers: &'a HeaderMap,
    query: Vec<(String, String)>,
    operation: &'static str,
}

impl<'a> Ctx<'a> {
    fn scope<'c>(&'c self, caller: &'c Caller) -> db::Scope<'c> {
        let mut map = Map::new();
        for (name, value) in self.headers {
            map.insert(
                name.as_str().to_string(),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            );
        }
        db::Scope {
            caller,
            method: self.method.as_str(),
            path: self.path,
            operation: self.operation,
            headers_json: Value::Object(map).to_string(),
        }
    }

    fn caller(&self, rule: TokenRule) -> StorageResult<Caller> {
        caller::resolve(
            self.headers,
            &self.storage.app.jwt,
            &self.storage.app.keys,
            rule,
        )
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    async fn bucket(&self, id: &str) -> StorageResult<db::Bucket> {
        db::bucket(&self.storage.app.admin_db, id)
            .await?
            .ok_or_else(StorageError::no_such_bucket)
    }
}

/// Routes a request below `/storage/v1` to its operation.
pub async fn dispatch(storage: &Storage, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let full_path = parts.uri.path();
    let path = full_path.strip_prefix("/storage/v1").unwrap_or(full_path);
    let route = match route::parse(&parts.method, path) {
        Ok(Some(route)) => route,
        Ok(None) => {
            let shown = match parts.uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            };
            return StorageError::route_not_found(parts.method.as_str(), &shown).into_response();
        }
        Err(Undecodable(raw)) => return StorageError::invalid_key(&raw, None).into_response(),
    };
    let ctx = Ctx {
        storage,
        method: &parts.method,
        path,
        headers: &parts.headers,
        query: parse_query(parts.uri.query().unwrap_or("")),
        operation: route.operation(),
    };
    // A refused upload leaves part of its body unread; reading the rest in
    // the background lets the client finish sending and see the answer.
    let uploading = matches!(
        route,
        Route::Upload { .. } | Route::Update { .. } | Route::UploadSigned { .. }
    );
    let body = if uploading {
        upload::drain_after_use(body, storage.config.file_size_limit + (1 << 20))
    } else {
        body
    };
    let result = match route {
        Route::Upload { bucket, key } => {
            let upsert = ctx
                .headers
                .get("x-upsert")
                .is_some_and(|v| v.as_bytes() == b"true");
            upload_as_user(&ctx, &bucket, &key, body, upsert).await
        }
        Route::Update { bucket, key } => upload_as_user(&ctx, &bucket, &key, body, true).await,
        Route::Download {
            bucket,
            key,
            access,
        } => read(&ctx, &bucket, &key, access, Reading::Bytes).await,
        Route::Head {
            bucket,
            key,
            access,
        } => read(&ctx, &bucket, &key, access, Reading::Headers).await,
        Route::Info {
            bucket,
            key,
            access,
        } => read(&ctx, &bucket, &key, access, Reading::Info).await,
        Route::Sign { bucket, key } => sign(&ctx, &bucket, &key, body).await,
        Route::SignMany { bucket } => sign_many(&ctx, &bucket, body).await,
        Route::GetSigned { bucket, key } => get_signed(&ctx, &bucket, &key).await,
        Route::SignUpload { bucket, key } => sign_upload(&ctx, &bucket, &key).await,
        Route::UploadSigned { bucket, key } => upload_signed(&ctx, &bucket, &key, body).await,
        Route::Delete { bucket, key } => delete_one(&ctx, &bucket, &key).await,
        Route::DeleteMany { bucket } => delete_many(&ctx, &bucket, body).await,
        Route::List { bucket } => list(&ctx, &bucket, body).await,
    };
    result.unwrap_or_else(StorageError::into_response)
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// `POST`/`PUT /object/{bucket}/{key}`: checked against the caller's
/// insert (and, for upserts, update) policies before the body is read.
async fn upload_as_user(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    body: Body,
    upsert: bool,
) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    let owner = caller.owner();
    let (id, _) = store_upload(ctx, bucket, key, body, Some(&caller), owner, upsert).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"Id": id, "Key": format!("{bucket}/{key}")}),
    ))
}

/// `PUT /object/upload/sign/{bucket}/{key}?token=`: the token stands for
/// the permission checked when it was signed.
async fn upload_signed(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    body: Body,
) -> StorageResult<Response<Body>> {
    let token = required_token(ctx)?;
    let signed = token::verify_signed(
        &ctx.storage.app.jwt,
        token,
        bucket,
        key,
        TokenScope::Upload,
        unix_now(),
    )?;
    store_upload(ctx, bucket, key, body, None, signed.owner, signed.upsert).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"Key": format!("{bucket}/{key}")}),
    ))
}

/// The upload pipeline: bucket limits, MIME allow-list, key, permission
/// probe, then the bytes streamed into a blob and the row recorded.
async fn store_upload(
    ctx: &Ctx<'_>,
    bucket_id: &str,
    key: &str,
    body: Body,
    probe_as: Option<&Caller>,
    owner: Option<String>,
    upsert: bool,
) -> StorageResult<(uuid::Uuid, String)> {
    let bucket = ctx.bucket(bucket_id).await?;
    let limit = match bucket.file_size_limit {
        Some(bucket_limit) => ctx
            .storage
            .config
            .file_size_limit
            .min(bucket_limit.max(0) as u64),
        None => ctx.storage.config.file_size_limit,
    };
    let (facts, file) = if upload::is_multipart(ctx.headers) {
        let (facts, file) = upload::open_form(ctx.headers, body).await?;
        mime::check_allowed(&facts.mime, &bucket.allowed_mime_types)?;
        (facts, file)
    } else {
        let facts = upload::raw_facts(ctx.headers);
        mime::check_allowed(&facts.mime, &bucket.allowed_mime_types)?;
        upload::check_declared_length(&facts, limit)?;
        (facts, FileBody::Raw(body))
    };
    key::validate_key(key)?;
    let version = uuid::Uuid::new_v4().to_string();
    if let Some(caller) = probe_as {
        let probe_metadata = json!({
            "mimetype": facts.mime,
            "contentLength": facts.declared_length,
        });
        let scope = ctx.scope(caller);
        let object = NewObject {
            bucket: bucket_id,
            name: key,
            owner: owner.as_deref(),
            metadata: &probe_metadata,
            user_metadata: facts.user_metadata.as_ref(),
            version: &version,
        };
        db::probe_upload(&ctx.storage.app.db, &scope, &object, upsert).await?;
    }
    let blobs = ctx.storage.blobs().await?;
    let mut writer = blobs
        .create(&version, limit)
        .await
        .map_err(|e| StorageError::internal(format!("creating the object file: {e}")))?;
    // An error here drops the writer, which removes the partial file.
    upload::stream_into(file, &mut writer).await?;
    // Once every byte is in, finish even if the client goes away now.
    let finish = Finish {
        admin: ctx.storage.app.admin_db.clone(),
        blobs: blobs.clone(),
        bucket: bucket_id.to_string(),
        key: key.to_string(),
        owner,
        facts,
        version: version.clone(),
        upsert,
    };
    let id = tokio::spawn(finish.run(writer))
        .await
        .map_err(|e| StorageError::internal(format!("finishing the upload: {e}")))??;
    Ok((id, version))
}

/// The end of an upload: make the blob durable, then commit its row, then
/// drop the version it replaced.
struct Finish {
    admin: deadpool_postgres::Pool,
    blobs: BlobStore,
    bucket: String,
    key: String,
    owner: Option<String>,
    facts: FileFacts,
    version: String,
    upsert: bool,
}

impl Finish {
    async fn run(self, writer: BlobWriter) -> StorageResult<uuid::Uuid> {
        let written = match writer.commit().await {
            Ok(w) => w,
            Err(e) => {
                self.blobs.remove(&self.version).await;
                return Err(StorageError::internal(format!("storing the object: {e}")));
            }
        };
        let metadata = json!({
            "eTag": written.etag,
            "size": written.size,
            "mimetype": self.facts.mime,
            "cacheControl": self.facts.cache_control,
            "lastModified": js_date(SystemTime::now()),
            "contentLength": written.size,
            "httpStatusCode": 200,
        });
        let object = NewObject {
            bucket: &self.bucket,
            name: &self.key,
            owner: self.owner.as_deref(),
            metadata: &metadata,
            user_metadata: self.facts.user_metadata.as_ref(),
            version: &self.version,
        };
        match db::record_upload(&self.admin, &object, self.upsert).await {
            Ok((id, previous)) => {
                if let Some(previous) = previous.filter(|p| *p != self.version) {
                    self.blobs.remove(&previous).await;
                }
                Ok(id)
            }
            Err(e) => {
                self.blobs.remove(&self.version).await;
                Err(e)
            }
        }
    }
}

/// What a read route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Bytes,
    Headers,
    Info,
}

/// Downloads, HEAD and info: public buckets are read without policies;
/// private ones need a token and a visible row.
async fn read(
    ctx: &Ctx<'_>,
    bucket_id: &str,
    key: &str,
    access: Access,
    reading: Reading,
) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(access.token_rule())?;
    let bucket = db::bucket(&ctx.storage.app.admin_db, bucket_id).await?;
    let bucket = match bucket {
        Some(b) if b.public || (caller.authenticated && access != Access::Public) => b,
        _ => return Err(StorageError::no_such_bucket()),
    };
    key::validate_key(key)?;
    let row = if bucket.public {
        db::find_as_admin(&ctx.storage.app.admin_db, bucket_id, key).await?
    } else {
        db::find_as_user(&ctx.storage.app.db, &ctx.scope(&caller), bucket_id, key).await?
    };
    let row = row.ok_or_else(StorageError::no_such_key)?;
    respond_with_object(ctx, &row, reading, None).await
}

async fn respond_with_object(
    ctx: &Ctx<'_>,
    row: &ObjectRow,
    reading: Reading,
    expires: Option<i64>,
) -> StorageResult<Response<Body>> {
    if reading == Reading::Info {
        return Ok(render::info(row));
    }
    let blobs = ctx.storage.blobs().await?;
    let options = RenderOptions {
        download: ctx.param("download").map(str::to_string),
        expires,
        head: reading == Reading::Headers,
    };
    render::object(blobs, row, ctx.headers, &options).await
}

/// `POST /object/sign/{bucket}/{key}` with `{"expiresIn": n}`.
async fn sign(ctx: &Ctx<'_>, bucket: &str, key: &str, body: Body) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    let body = json_body(ctx, body).await?;
    let expires_in = expires_in(&body)?;
    key::validate_key(key)?;
    db::find_as_user(&ctx.storage.app.db, &ctx.scope(&caller), bucket, key)
        .await?
        .ok_or_else(StorageError::no_such_key)?;
    let url = format!("{bucket}/{key}");
    let token = token::sign_download(
        ctx.storage.app.jwt.legacy_secret(),
        &url,
        unix_secs(),
        expires_in,
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({"signedURL": format!("/object/sign/{url}?token={token}")}),
    ))
}

/// `POST /object/sign/{bucket}` with `{"expiresIn": n, "paths": [...]}`.
async fn sign_many(ctx: &Ctx<'_>, bucket: &str, body: Body) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    let body = json_body(ctx, body).await?;
    let expires_in = expires_in(&body)?;
    let paths = string_list(&body, "paths")?;
    let visible =
        db::visible_names(&ctx.storage.app.db, &ctx.scope(&caller), bucket, &paths).await?;
    let now = unix_secs();
    let results: Vec<Value> = paths
        .iter()
        .map(|path| {
            if visible.contains(path) {
                let url = format!("{bucket}/{path}");
                let token = token::sign_download(
                    ctx.storage.app.jwt.legacy_secret(),
                    &url,
                    now,
                    expires_in,
                );
                json!({"error": null, "path": path,
                       "signedURL": format!("/object/sign/{url}?token={token}")})
            } else {
                json!({"error": "Either the object does not exist or you do not have access to it",
                       "path": path, "signedURL": null})
            }
        })
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(results)))
}

fn required_token<'c>(ctx: &'c Ctx<'_>) -> StorageResult<&'c str> {
    ctx.param("token")
        .ok_or_else(|| schema_error("querystring must have required property 'token'"))
}

/// `GET /object/sign/{bucket}/{key}?token=`: no caller needed, the token
/// is the permission.
async fn get_signed(ctx: &Ctx<'_>, bucket: &str, key: &str) -> StorageResult<Response<Body>> {
    let token = required_token(ctx)?;
    let signed = token::verify_signed(
        &ctx.storage.app.jwt,
        token,
        bucket,
        key,
        TokenScope::Download,
        unix_now(),
    )?;
    key::validate_key(key)?;
    let row = db::find_as_admin(&ctx.storage.app.admin_db, bucket, key)
        .await?
        .ok_or_else(StorageError::no_such_key)?;
    respond_with_object(ctx, &row, Reading::Bytes, Some(signed.exp)).await
}

/// `POST /object/upload/sign/{bucket}/{key}`: the insert policy is checked
/// now; the token then allows one upload without a session.
async fn sign_upload(ctx: &Ctx<'_>, bucket: &str, key: &str) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    ctx.bucket(bucket).await?;
    key::validate_key(key)?;
    let upsert = ctx
        .headers
        .get("x-upsert")
        .is_some_and(|v| v.as_bytes() == b"true");
    let facts = upload::raw_facts(ctx.headers);
    let owner = caller.owner();
    let probe_metadata = json!({
        "mimetype": ctx.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        "contentLength": facts.declared_length,
    });
    let object = NewObject {
        bucket,
        name: key,
        owner: owner.as_deref(),
        metadata: &probe_metadata,
        user_metadata: facts.user_metadata.as_ref(),
        version: &uuid::Uuid::new_v4().to_string(),
    };
    db::probe_upload(&ctx.storage.app.db, &ctx.scope(&caller), &object, upsert).await?;
    let url = format!("{bucket}/{key}");
    let token = token::sign_upload(
        ctx.storage.app.jwt.legacy_secret(),
        &url,
        owner.as_deref(),
        upsert,
        unix_secs(),
        ctx.storage.config.signed_upload_expiry,
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({"url": format!("/object/upload/sign/{url}?token={token}"), "token": token}),
    ))
}

/// `DELETE /object/{bucket}/{key}`: the row must exist, and the caller's
/// delete policy must let it go.
async fn delete_one(ctx: &Ctx<'_>, bucket: &str, key: &str) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    key::validate_key(key)?;
    db::find_as_admin(&ctx.storage.app.admin_db, bucket, key)
        .await?
        .ok_or_else(StorageError::no_such_key)?;
    let names = vec![key.to_string()];
    let (deleted, versions) =
        db::delete_as_user(&ctx.storage.app.db, &ctx.scope(&caller), bucket, &names).await?;
    if deleted.is_empty() {
        return Err(StorageError::access_denied("Access denied"));
    }
    remove_blobs(ctx, &versions).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"message": "Successfully deleted"}),
    ))
}

/// `DELETE /object/{bucket}` with `{"prefixes": [...]}`: deletes what the
/// caller may delete and returns those rows.
async fn delete_many(ctx: &Ctx<'_>, bucket: &str, body: Body) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    let body = json_body(ctx, body).await?;
    let names = string_list(&body, "prefixes")?;
    let (deleted, versions) =
        db::delete_as_user(&ctx.storage.app.db, &ctx.scope(&caller), bucket, &names).await?;
    remove_blobs(ctx, &versions).await?;
    Ok(json_response(StatusCode::OK, &Value::Array(deleted)))
}

async fn remove_blobs(ctx: &Ctx<'_>, versions: &[String]) -> StorageResult<()> {
    let blobs = ctx.storage.blobs().await?;
    for version in versions {
        blobs.remove(version).await;
    }
    Ok(())
}

/// `POST /object/list/{bucket}`.
async fn list(ctx: &Ctx<'_>, bucket: &str, body: Body) -> StorageResult<Response<Body>> {
    let caller = ctx.caller(TokenRule::Required)?;
    let body = json_body(ctx, body).await?;
    let options = list_options(&body)?;
    let entries =
        db::list_as_user(&ctx.storage.app.db, &ctx.scope(&caller), bucket, &options).await?;
    Ok(json_response(StatusCode::OK, &Value::Array(entries)))
}

/// Reads a listing request as Storage's schema does.
pub fn list_options(body: &Map<String, Value>) -> StorageResult<ListOptions> {
    let mut prefix = match body.get("prefix") {
        Some(Value::String(p)) => p.clone(),
        Some(_) => return Err(schema_error("body/prefix must be string")),
        None => return Err(schema_error("body must have required property 'prefix'")),
    };
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let limit = match body.get("limit") {
        None | Some(Value::Null) => 100,
        Some(v) => integer(v)
            .filter(|n| *n >= 1)
            .ok_or_else(|| schema_error("body/limit must be >= 1"))?,
    };
    let offset = match body.get("offset") {
        None | Some(Value::Null) => 0,
        Some(v) => integer(v)
            .filter(|n| *n >= 0)
            .ok_or_else(|| schema_error("body/offset must be >= 0"))?,
    };
    let (column, ascending) = match body.get("sortBy") {
        None | Some(Value::Null) => ("name", true),
        Some(Value::Object(sort)) => {
            let column = match sort.get("column").and_then(Value::as_str) {
                Some("name") => "name",
                Some("updated_at") => "updated_at",
                Some("created_at") => "created_at",
                Some("last_accessed_at") => "last_accessed_at",
                Some(_) => {
                    return Err(schema_error(
                        "body/sortBy/column must be equal to one of the allowed values",
                    ))
                }
                None => {
                    return Err(schema_error(
                        "body/sortBy must have required property 'column'",
                    ))
                }
            };
            let ascending = match sort.get("order").and_then(Value::as_str) {
                None | Some("asc") => true,
                Some("desc") => false,
                Some(_) => {
                    return Err(schema_error(
                        "body/sortBy/order must be equal to one of the allowed values",
                    ))
                }
            };
            (column, ascending)
        }
        Some(_) => return Err(schema_error("body/sortBy must be object")),
    };
    let search = match body.get("search") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(schema_error("body/search must be string")),
    };
    Ok(ListOptions {
        prefix,
        search,
        limit: limit.min(MAX_LIST_LIMIT),
        offset,
        column,
        ascending,
    })
}

/// A request the route's schema refuses (Fastify's validation error).
fn schema_error(message: &str) -> StorageError {
    StorageError::new(400, "InvalidRequest", "Bad Request", message)
}

/// An integer, also from a numeric string (Fastify coerces types).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `expiresIn`: an integer number of seconds, at least 1.
pub fn expires_in(body: &Map<String, Value>) -> StorageResult<i64> {
    let value = body
        .get("expiresIn")
        .ok_or_else(|| schema_error("body must have required property 'expiresIn'"))?;
    let n = integer(value).ok_or_else(|| schema_error("body/expiresIn must be integer"))?;
    if n < 1 {
        return Err(schema_error("body/expiresIn must be >= 1"));
    }
    if n > MAX_EXPIRES_IN {
        return Err(StorageError::invalid_parameter("expiresIn"));
    }
    Ok(n)
}

/// A required array of strings with 1 to [`MAX_OBJECTS_PER_REQUEST`] items.
fn string_list(body: &Map<String, Value>, name: &str) -> StorageResult<Vec<String>> {
    let Some(value) = body.get(name) else {
        return Err(schema_error(&format!(
            "body must have required property '{name}'"
        )));
    };
    let Value::Array(items) = value else {
        return Err(schema_error(&format!("body/{name} must be array")));
    };
    if items.is_empty() {
        return Err(schema_error(&format!(
            "body/{name} must NOT have fewer than 1 items"
        )));
    }
    if items.len() > MAX_OBJECTS_PER_REQUEST {
        return Err(StorageError::invalid_request(format!(
            "Bulk object requests are limited to {MAX_OBJECTS_PER_REQUEST} objects per request."
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| schema_error(&format!("body/{name}/{i} must be string")))
        })
        .collect()
}

/// A JSON object body, at most the configured size.
async fn json_body(ctx: &Ctx<'_>, body: Body) -> StorageResult<Map<String, Value>> {
    let limit = ctx.storage.config.json_body_limit;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| StorageError {
            http: StatusCode::PAYLOAD_TOO_LARGE,
            ..StorageError::new(
                413,
                "InvalidRequest",
                "Payload Too Large",
                "Request body is too large",
            )
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(schema_error(
            "Body cannot be empty when content-type is set to 'application/json'",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(schema_error("body must be object")),
        Err(e) => Err(schema_error(&format!("Invalid JSON body: {e}"))),
    }
}

/// A time as JavaScript's `Date.toJSON` writes it
/// (`2026-01-31T12:00:00.123Z`), which is what Storage stores.
pub fn js_date(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn js_dates() {
        assert_eq!(js_date(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_251_199_123);
        assert_eq!(js_date(t), "2024-02-29T23:59:59.123Z");
    }

    #[test]
    fn list_bodies() {
        let o = list_options(&obj(json!({"prefix": "wf/s"}))).unwrap();
        assert_eq!(
            (o.prefix.as_str(), o.limit, o.offset, o.column, o.ascending),
            ("wf/s/", 100, 0, "name", true)
        );
        let o = list_options(&obj(json!({"prefix": "", "limit": 5000, "offset": 2,
            "sortBy": {"column": "created_at", "order": "desc"}, "search": "v"})))
        .unwrap();
        assert_eq!(
            (o.limit, o.column, o.ascending),
            (1500, "created_at", false)
        );
        let e = list_options(&obj(json!({}))).unwrap_err();
        assert_eq!(e.message, "body must have required property 'prefix'");
        assert!(list_options(&obj(json!({"prefix": "", "sortBy": {"column": "size"}}))).is_err());
        assert!(list_options(&obj(json!({"prefix": "", "limit": 0}))).is_err());
    }

    #[test]
    fn expiry_bodies() {
        assert_eq!(expires_in(&obj(json!({"expiresIn": 60}))).unwrap(), 60);
        assert_eq!(expires_in(&obj(json!({"expiresIn": "60"}))).unwrap(), 60);
        assert!(expires_in(&obj(json!({"expiresIn": 0}))).is_err());
        assert!(expires_in(&obj(json!({"expiresIn": 1.5}))).is_err());
        assert!(expires_in(&obj(json!({}))).is_err());
    }

    #[test]
    fn path_lists() {
        let body = obj(json!({"paths": ["a", "b"]}));
        assert_eq!(string_list(&body, "paths").unwrap(), vec!["a", "b"]);
        assert!(string_list(&obj(json!({"paths": []})), "paths").is_err());
        assert!(string_list(&obj(json!({"paths": [1]})), "paths").is_err());
        let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        let e = string_list(&obj(json!({ "paths": many })), "paths").unwrap_err();
        assert_eq!(e.code, "InvalidRequest");
    }
}
