//! devstack's Storage over HTTP against a real stack with the project's
//! migrations: every endpoint, the bucket limits, the policies of
//! `wc-attachments` (members upload, viewers read, uploaders and admins
//! delete, outsiders get nothing), signed URLs, traversal refusals and the
//! atomicity of uploads.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use devstack::{Stack, StackOptions};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BUCKET: &str = "wc-attachments";

static STACK: Mutex<Option<Stack>> = Mutex::new(None);
static SHARED: OnceLock<Shared> = OnceLock::new();
static WORLD: tokio::sync::OnceCell<World> = tokio::sync::OnceCell::const_new();

struct Shared {
    url: String,
    anon: String,
    service: String,
    db_url: String,
    data_dir: PathBuf,
}

/// The stack of this test binary, with the project's migrations.
fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        let stack = Stack::start(StackOptions::throwaway()).expect("the stack starts");
        let shared = Shared {
            url: stack.url().to_string(),
            anon: stack.anon_key().to_string(),
            service: stack.service_role_key().to_string(),
            db_url: stack.admin_db_url().to_string(),
            data_dir: stack.data_dir().to_path_buf(),
        };
        *STACK.lock().unwrap() = Some(stack);
        // SAFETY: registering a plain function to run at process exit.
        unsafe { libc::atexit(stop_stack) };
        shared
    })
}

extern "C" fn stop_stack() {
    if let Ok(mut slot) = STACK.lock() {
        slot.take();
    }
}

struct User {
    token: String,
    id: String,
    email: String,
}

/// Accounts and workflows shared by the tests: `owner` owns `workflow`
/// (with `session`), `member` and `viewer` belong to it, `outsider` owns
/// only `other_workflow` (with `other_session`).
struct World {
    owner: User,
    member: User,
    viewer: User,
    outsider: User,
    workflow: String,
    session: String,
    other_workflow: String,
    other_session: String,
}

async fn world() -> &'static World {
    WORLD
        .get_or_init(|| async {
            let owner = register("owner").await;
            let member = register("member").await;
            let viewer = register("viewer").await;
            let outsider = register("outsider").await;
            let workflow = rpc(&owner, "wc_create_workflow", json!({"name": "Files"})).await["id"]
                .as_str()
                .unwrap()
                .to_string();
            let session = rpc(
                &owner,
                "wc_create_session",
                json!({"workflow_id": workflow, "title": "Uploads"}),
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_string();
            for (user, role) in [(&member, "member"), (&viewer, "viewer")] {
                rpc(
                    &owner,
                    "wc_add_member",
                    json!({"workflow_id": workflow, "email": user.email, "role": role}),
                )
                .await;
            }
            let other_workflow = rpc(
                &outsider,
                "wc_create_workflow",
                json!({"name": "Elsewhere"}),
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_string();
            let other_session = rpc(
                &outsider,
                "wc_create_session",
                json!({"workflow_id": other_workflow, "title": "Private"}),
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_string();
            World {
                owner,
                member,
                viewer,
                outsider,
                workflow,
                session,
                other_workflow,
                other_session,
            }
        })
        .await
}

async fn register(name: &str) -> User {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .post(format!("{}/rest/v1/rpc/wc_register", shared().url))
        .header("apikey", &shared().anon)
        .json_body(
            &json!({"email": email, "password": "correct horse battery", "display_name": name}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    User {
        token: token["access_token"].as_str().unwrap().to_string(),
        id: token["account"]["id"].as_str().unwrap().to_string(),
        email,
    }
}

async fn rpc(user: &User, function: &str, args: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/rest/v1/rpc/{function}", shared().url))
        .header("apikey", &shared().anon)
        .bearer_auth(&user.token)
        .json_body(&args)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{function}: {status} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// A fresh key in the shared session.
fn key_in(world: &World, file: &str) -> String {
    format!(
        "{}/{}/{}/{file}",
        world.workflow,
        world.session,
        uuid::Uuid::new_v4()
    )
}

/// JSON request bodies without reqwest's `json` feature.
trait JsonBody {
    fn json_body(self, value: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, value: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }
}

fn storage(path: &str) -> String {
    format!("{}/storage/v1{path}", shared().url)
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// Asserts Storage's error convention: HTTP 400 (unless told) with the
    /// semantic status and code in the body.
    fn assert_error(&self, status_code: &str, code: &str) -> Value {
        let body = self.json();
        assert_eq!(body["statusCode"], status_code, "{body}");
        assert_eq!(body["code"], code, "{body}");
        let wire = if status_code == "416" { 416 } else { 400 };
        assert_eq!(self.status, wire, "{body}");
        body
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the stack answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a readable body").to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A request with the anon key as `apikey` and `token` as the bearer.
fn request(method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
    let mut r = reqwest::Client::new()
        .request(method, storage(path))
        .header("apikey", &shared().anon);
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    r
}

async fn upload_raw(token: Option<&str>, key: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
    send(
        request(
            reqwest::Method::POST,
            &format!("/object/{BUCKET}/{key}"),
            token,
        )
        .header("content-type", content_type)
        .header("cache-control", "max-age=60")
        .body(bytes),
    )
    .await
}

/// A form as storage-js builds it: `cacheControl`, optional `metadata`, then
/// the file part named "" with the blob's type.
fn form(file_type: &str, bytes: &[u8], metadata: Option<&str>) -> (String, Vec<u8>) {
    let boundary = format!("----devstack{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field("cacheControl", "3600");
    if let Some(m) = metadata {
        field("metadata", m);
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"\"; filename=\"blob\"\r\nContent-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_form(token: &str, bucket: &str, key: &str, form: (String, Vec<u8>)) -> Reply {
    send(
        request(
            reqwest::Method::POST,
            &format!("/object/{bucket}/{key}"),
            Some(token),
        )
        .header("content-type", form.0)
        .body(form.1),
    )
    .await
}

async fn download(token: Option<&str>, key: &str) -> Reply {
    send(request(
        reqwest::Method::GET,
        &format!("/object/{BUCKET}/{key}"),
        token,
    ))
    .await
}

fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len).map(|i| (i * 7 % 251) as u8));
    bytes
}

async fn sql(statement: &str) -> Vec<tokio_postgres::Row> {
    let (client, connection) = tokio_postgres::connect(&shared().db_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("set storage.allow_delete_query = 'true'")
        .await
        .unwrap();
    client.query(statement, &[]).await.unwrap()
}

async fn object_row_count(key: &str) -> i64 {
    let rows = sql(&format!(
        "select count(*) from storage.objects where bucket_id = '{BUCKET}' and name = '{}'",
        key.replace('\'', "''")
    ))
    .await;
    rows[0].get(0)
}

fn blob_root() -> PathBuf {
    shared().data_dir.join("storage")
}

/// Sends a hand-written HTTP/1.1 request (for paths and bodies an HTTP
/// client would normalise) and returns the response text, if any.
async fn raw_http(head: &str, body: &[u8], close_early: bool) -> String {
    let addr = shared().url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    if close_early {
        stream.shutdown().await.ok();
        drop(stream);
        return String::new();
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Uploads and downloads
// ---------------------------------------------------------------------------

#[tokio::test]
async fn member_uploads_raw_body_and_members_download_the_same_bytes() {
    let w = world().await;
    let key = key_in(w, "photo.png");
    let bytes = png(70_000);
    let up = upload_raw(Some(&w.member.token), &key, "image/png", bytes.clone()).await;
    assert_eq!(up.status, 200, "{:?}", String::from_utf8_lossy(&up.body));
    let body = up.json();
    assert_eq!(body["Key"], format!("{BUCKET}/{key}"));
    assert!(uuid::Uuid::parse_str(body["Id"].as_str().unwrap()).is_ok());

    for reader in [&w.owner, &w.member, &w.viewer] {
        let got = download(Some(&reader.token), &key).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body, bytes);
        assert_eq!(got.header("content-type").as_deref(), Some("image/png"));
        assert_eq!(got.header("cache-control").as_deref(), Some("max-age=60"));
        assert_eq!(got.header("accept-ranges").as_deref(), Some("bytes"));
        assert_eq!(got.header("content-length"), Some(bytes.len().to_string()));
        assert!(got.header("etag").unwrap().starts_with('"'));
        assert!(got.header("last-modified").is_some());
    }
    let auth = send(request(
        reqwest::Method::GET,
        &format!("/object/authenticated/{BUCKET}/{key}"),
        Some(&w.viewer.token),
    ))
    .await;
    assert_eq!(auth.body, bytes);

    // The row records the owner and Storage's metadata; the blob sits under
    // the stack's data folder.
    let rows = sql(&format!(
        "select owner_id, metadata, version from storage.objects where name = '{key}'"
    ))
    .await;
    assert_eq!(rows[0].get::<_, String>(0), w.member.id);
    let metadata: Value = rows[0].get(1);
    assert_eq!(metadata["size"], bytes.len());
    assert_eq!(metadata["mimetype"], "image/png");
    assert_eq!(metadata["contentLength"], bytes.len());
    let version: String = rows[0].get(2);
    let blob = blob_root()
        .join("objects")
        .join(&version[..2])
        .join(&version);
    assert_eq!(std::fs::read(blob).unwrap(), bytes);
}

#[tokio::test]
async fn ranges_conditional_requests_head_and_attachment_names() {
    let w = world().await;
    let key = key_in(w, "doc.pdf");
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
    assert_eq!(
        upload_raw(
            Some(&w.member.token),
            &key,
            "application/pdf",
            bytes.clone()
        )
        .await
        .status,
        200
    );
    let path = format!("/object/{BUCKET}/{key}");
    let part = send(
        request(reqwest::Method::GET, &path, Some(&w.viewer.token)).header("range", "bytes=10-19"),
    )
    .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, bytes[10..20]);
    assert_eq!(
        part.header("content-range").as_deref(),
        Some("bytes 10-19/1000")
    );
    let tail = send(
        request(reqwest::Method::GET, &path, Some(&w.viewer.token)).header("range", "bytes=-5"),
    )
    .await;
    assert_eq!(tail.body, bytes[995..]);
    let bad = send(
        request(reqwest::Method::GET, &path, Some(&w.viewer.token)).header("range", "bytes=2000-"),
    )
    .await;
    bad.assert_error("416", "InvalidRange");

    let etag = part.header("etag").unwrap();
    let cached = send(
        request(reqwest::Method::GET, &path, Some(&w.viewer.token)).header("if-none-match", &etag),
    )
    .await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());

    let head = send(request(reqwest::Method::HEAD, &path, Some(&w.viewer.token))).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length").as_deref(), Some("1000"));
    assert_eq!(
        head.header("content-type").as_deref(),
        Some("application/pdf")
    );

    let named = send(request(
        reqwest::Method::GET,
        &format!("{path}?download=report%20final.pdf"),
        Some(&w.viewer.token),
    ))
    .await;
    assert_eq!(
        named.header("content-disposition").as_deref(),
        Some("attachment; filename=report%20final.pdf; filename*=UTF-8''report%20final.pdf")
    );
}

#[tokio::test]
async fn multipart_uploads_as_storage_js_sends_them() {
    let w = world().await;
    let key = key_in(w, "voice.webm");
    let audio = b"\x1aE\xdf\xa3 opus frames".repeat(500);
    let up = upload_form(
        &w.member.token,
        BUCKET,
        &key,
        form(
            "audio/webm;codecs=opus",
            &audio,
            Some(r#"{"duration_ms":4200}"#),
        ),
    )
    .await;
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));
    let got = download(Some(&w.viewer.token), &key).await;
    assert_eq!(got.body, audio);
    // The form parser drops the parameters, as Storage's does.
    assert_eq!(got.header("content-type").as_deref(), Some("audio/webm"));
    assert_eq!(got.header("cache-control").as_deref(), Some("max-age=3600"));

    let info = send(request(
        reqwest::Method::GET,
        &format!("/object/info/{BUCKET}/{key}"),
        Some(&w.viewer.token),
    ))
    .await;
    assert_eq!(info.status, 200);
    let info = info.json();
    assert_eq!(info["name"], key);
    assert_eq!(info["bucket_id"], BUCKET);
    assert_eq!(info["size"], audio.len());
    assert_eq!(info["content_type"], "audio/webm");
    assert_eq!(info["cache_control"], "max-age=3600");
    assert_eq!(info["metadata"], json!({"duration_ms": 4200}));
    assert!(info["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn mime_allow_list_with_wildcards_and_parameters() {
    let w = world().await;
    // A raw recorder type matches the bucket's audio/*.
    let note = key_in(w, "note.webm");
    let raw = upload_raw(
        Some(&w.member.token),
        &note,
        "audio/webm;codecs=opus",
        b"opus".to_vec(),
    )
    .await;
    assert_eq!(raw.status, 200);
    let stored = download(Some(&w.member.token), &note).await;
    assert_eq!(
        stored.header("content-type").as_deref(),
        Some("audio/webm;codecs=opus")
    );

    let bmp = upload_raw(
        Some(&w.member.token),
        &key_in(w, "x.bmp"),
        "image/bmp",
        b"BM".to_vec(),
    )
    .await;
    let body = bmp.assert_error("415", "InvalidMimeType");
    assert_eq!(body["error"], "invalid_mime_type");
    assert_eq!(body["message"], "mime type image/bmp is not supported");

    // A bucket listing audio/webm exactly: the raw parameterised type is
    // refused, the same blob sent as a form is accepted (Storage compares
    // the raw header literally; its form parser drops parameters).
    sql(
        "insert into storage.buckets (id, name, allowed_mime_types) \
         values ('webm-only', 'webm-only', array['audio/webm']) on conflict do nothing",
    )
    .await;
    let raw = send(
        request(
            reqwest::Method::POST,
            "/object/webm-only/a.webm",
            Some(&shared().service),
        )
        .header("content-type", "audio/webm;codecs=opus")
        .body(b"opus".to_vec()),
    )
    .await;
    raw.assert_error("415", "InvalidMimeType");
    let formed = upload_form(
        &shared().service,
        "webm-only",
        "b.webm",
        form("audio/webm;codecs=opus", b"opus", None),
    )
    .await;
    assert_eq!(formed.status, 200);
}

#[tokio::test]
async fn size_limits_are_enforced_before_and_while_reading() {
    let w = world().await;
    // The project's bucket: 25 MiB, refused from Content-Length.
    let key = key_in(w, "big.pdf");
    let too_big = upload_raw(
        Some(&w.member.token),
        &key,
        "application/pdf",
        vec![0u8; 26_214_401],
    )
    .await;
    let body = too_big.assert_error("413", "EntityTooLarge");
    assert_eq!(body["error"], "Payload too large");
    assert_eq!(
        body["message"],
        "The object exceeded the maximum allowed size"
    );
    assert_eq!(object_row_count(&key).await, 0);
    let exact = upload_raw(
        Some(&w.member.token),
        &key,
        "application/pdf",
        vec![1u8; 26_214_400],
    )
    .await;
    assert_eq!(exact.status, 200);

    // A small bucket, a form whose file part streams past the limit, and a
    // chunked body without Content-Length.
    sql("insert into storage.buckets (id, name, file_size_limit) \
         values ('tiny', 'tiny', 1024) on conflict do nothing")
    .await;
    let over = upload_form(
        &shared().service,
        "tiny",
        "form.bin",
        form("application/octet-stream", &[7u8; 1025], None),
    )
    .await;
    over.assert_error("413", "EntityTooLarge");
    let fits = upload_form(
        &shared().service,
        "tiny",
        "fits.bin",
        form("application/octet-stream", &[7u8; 1024], None),
    )
    .await;
    assert_eq!(fits.status, 200);

    let chunk = vec![b'x'; 800];
    let mut chunked = Vec::new();
    for _ in 0..2 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST /storage/v1/object/tiny/chunked.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        shared().service
    );
    let answer = raw_http(&head, &chunked, false).await;
    assert!(answer.contains("\"EntityTooLarge\""), "{answer}");
    let rows = sql("select count(*) from storage.objects where bucket_id = 'tiny' and name in ('form.bin', 'chunked.bin')").await;
    assert_eq!(rows[0].get::<_, i64>(0), 0);
}

#[tokio::test]
async fn an_aborted_upload_leaves_no_object_and_no_file() {
    let w = world().await;
    let key = key_in(w, "interrupted.pdf");
    let head = format!(
        "POST /storage/v1/object/{BUCKET}/{key} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/pdf\r\nContent-Length: 1000000\r\n\r\n",
        w.member.token
    );
    let sent = 300_000u64;
    let addr = shared().url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'%'; sent as usize]).await.unwrap();
    // The server has written what it got into a temp file and waits for
    // the rest: find that file (other tests' temp files differ in size).
    let tmp = blob_root().join("tmp");
    let mut ours = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        ours = std::fs::read_dir(&tmp).ok().and_then(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .find(|p| std::fs::metadata(p).map(|m| m.len()).ok() == Some(sent))
        });
        if ours.is_some() {
            break;
        }
    }
    let ours = ours.expect("the partial upload is being written to a temp file");
    let version = ours
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .trim_end_matches(".part")
        .to_string();
    // The client goes away mid-body.
    drop(stream);
    let mut gone = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if !ours.exists() {
            gone = true;
            break;
        }
    }
    assert!(gone, "the partial file stayed in tmp/");
    let blob = blob_root()
        .join("objects")
        .join(&version[..2])
        .join(&version);
    assert!(!blob.exists(), "an aborted upload became a blob");
    assert_eq!(object_row_count(&key).await, 0);
    download(Some(&w.member.token), &key)
        .await
        .assert_error("404", "NoSuchKey");
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

#[tokio::test]
async fn uploads_need_a_token_and_the_policies_consent() {
    let w = world().await;
    let key = key_in(w, "x.png");
    let none = send(
        reqwest::Client::new()
            .post(storage(&format!("/object/{BUCKET}/{key}")))
            .header("content-type", "image/png")
            .body(png(10)),
    )
    .await;
    let body = none.assert_error("403", "AccessDenied");
    assert_eq!(body["message"], "Invalid Compact JWS");

    let forged = upload_raw(Some("a.b.c"), &key, "image/png", png(10)).await;
    forged.assert_error("403", "AccessDenied");

    // The anon key, a viewer, an outsider: the insert policy refuses.
    for token in [&shared().anon, &w.viewer.token, &w.outsider.token] {
        let refused = upload_raw(Some(token), &key, "image/png", png(10)).await;
        let body = refused.assert_error("403", "AccessDenied");
        assert_eq!(body["error"], "Unauthorized");
        assert_eq!(
            body["message"],
            "new row violates row-level security policy"
        );
    }
    // A member cannot write into another workflow, nor mix one workflow
    // with another's session, nor use a path outside the layout.
    for bad in [
        format!(
            "{}/{}/{}/x.png",
            w.other_workflow,
            w.other_session,
            uuid::Uuid::new_v4()
        ),
        format!(
            "{}/{}/{}/x.png",
            w.workflow,
            w.other_session,
            uuid::Uuid::new_v4()
        ),
        format!("{}/{}/x.png", w.workflow, w.session),
    ] {
        let refused = upload_raw(Some(&w.member.token), &bad, "image/png", png(10)).await;
        refused.assert_error("403", "AccessDenied");
        assert_eq!(object_row_count(&bad).await, 0);
    }
    assert_eq!(object_row_count(&key).await, 0);
}

#[tokio::test]
async fn duplicates_and_overwrites() {
    let w = world().await;
    let key = key_in(w, "same.txt");
    let first = upload_raw(Some(&w.member.token), &key, "text/plain", b"one".to_vec()).await;
    assert_eq!(first.status, 200);
    let again = upload_raw(Some(&w.member.token), &key, "text/plain", b"two".to_vec()).await;
    let body = again.assert_error("409", "KeyAlreadyExists");
    assert_eq!(body["error"], "Duplicate");
    // Nobody may overwrite under the project's policies (no UPDATE policy).
    let upsert = send(
        request(
            reqwest::Method::POST,
            &format!("/object/{BUCKET}/{key}"),
            Some(&w.member.token),
        )
        .header("content-type", "text/plain")
        .header("x-upsert", "true")
        .body("two"),
    )
    .await;
    upsert.assert_error("403", "AccessDenied");
    let put = send(
        request(
            reqwest::Method::PUT,
            &format!("/object/{BUCKET}/{key}"),
            Some(&w.owner.token),
        )
        .header("content-type", "text/plain")
        .body("two"),
    )
    .await;
    put.assert_error("403", "AccessDenied");
    assert_eq!(download(Some(&w.viewer.token), &key).await.body, b"one");

    // The service role bypasses RLS: PUT replaces the bytes and the old
    // blob goes.
    let old_version: String = sql(&format!(
        "select version from storage.objects where name = '{key}'"
    ))
    .await[0]
        .get(0);
    let replaced = send(
        request(
            reqwest::Method::PUT,
            &format!("/object/{BUCKET}/{key}"),
            Some(&shared().service),
        )
        .header("content-type", "text/plain")
        .body("three"),
    )
    .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(download(Some(&w.viewer.token), &key).await.body, b"three");
    let old_blob = blob_root()
        .join("objects")
        .join(&old_version[..2])
        .join(&old_version);
    assert!(!old_blob.exists());
}

#[tokio::test]
async fn reads_are_for_members_of_the_workflow_only() {
    let w = world().await;
    let key = key_in(w, "secret.pdf");
    assert_eq!(
        upload_raw(
            Some(&w.member.token),
            &key,
            "application/pdf",
            b"%PDF".to_vec()
        )
        .await
        .status,
        200
    );
    // No token on the plain route: the private bucket is not found.
    let anonymous =
        send(reqwest::Client::new().get(storage(&format!("/object/{BUCKET}/{key}")))).await;
    anonymous.assert_error("404", "NoSuchBucket");
    // The authenticated route requires a token.
    let required =
        send(reqwest::Client::new().get(storage(&format!("/object/authenticated/{BUCKET}/{key}"))))
            .await;
    required.assert_error("403", "AccessDenied");
    // An outsider (or the anon key) gets "not found" for a path that exists.
    for token in [&w.outsider.token, &shared().anon] {
        download(Some(token), &key)
            .await
            .assert_error("404", "NoSuchKey");
        send(request(
            reqwest::Method::GET,
            &format!("/object/info/{BUCKET}/{key}"),
            Some(token),
        ))
        .await
        .assert_error("404", "NoSuchKey");
    }
    // A missing bucket.
    send(request(
        reqwest::Method::GET,
        "/object/nope/a.txt",
        Some(&w.member.token),
    ))
    .await
    .assert_error("404", "NoSuchBucket");
}

#[tokio::test]
async fn traversal_and_odd_names_are_refused() {
    let w = world().await;
    let base = format!("{}/{}/{}", w.workflow, w.session, uuid::Uuid::new_v4());
    let cases = [
        (
            format!("{base}/%2e%2e/%2e%2e/x.png"),
            "contains dot path segment",
        ),
        (format!("{base}/./x.png"), "contains dot path segment"),
        (format!("{base}/a%00b.png"), "contains null byte"),
        (format!("{base}//x.png"), "contains empty path segment"),
        (format!("{base}/a%5Cb.png"), ""),
        (format!("{base}/caf%C3%A9.png"), ""),
        (format!("{base}/a%23b.png"), ""),
    ];
    for (path, reason) in &cases {
        let head = format!(
            "POST /storage/v1/object/{BUCKET}/{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: image/png\r\nContent-Length: 4\r\nConnection: close\r\n\r\n",
            w.member.token
        );
        let answer = raw_http(&head, b"\x89PNG", false).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(
            answer.contains("\"code\":\"InvalidKey\""),
            "{path}: {answer}"
        );
        assert!(answer.contains(reason), "{path}: {answer}");
    }
    // A literal `..` in the request line, and an absolute key.
    let head = format!(
        "GET /storage/v1/object/{BUCKET}/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        w.member.token
    );
    let answer = raw_http(&head, b"", false).await;
    assert!(answer.contains("contains dot path segment"), "{answer}");
    let head = format!(
        "GET /storage/v1/object/{BUCKET}//etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        w.member.token
    );
    let answer = raw_http(&head, b"", false).await;
    assert!(answer.contains("must be a relative path"), "{answer}");
    let rows =
        sql("select count(*) from storage.objects where name like '%..%' or name like '%\\\\%'")
            .await;
    assert_eq!(rows[0].get::<_, i64>(0), 0);
}

// ---------------------------------------------------------------------------
// Signed URLs
// ---------------------------------------------------------------------------

async fn sign(token: &str, key: &str, expires_in: Value) -> Reply {
    send(
        request(
            reqwest::Method::POST,
            &format!("/object/sign/{BUCKET}/{key}"),
            Some(token),
        )
        .json_body(&json!({"expiresIn": expires_in})),
    )
    .await
}

#[tokio::test]
async fn signed_download_urls() {
    let w = world().await;
    let key = key_in(w, "shared file.png");
    let bytes = png(5000);
    assert_eq!(
        upload_raw(Some(&w.member.token), &key, "image/png", bytes.clone())
            .await
            .status,
        200
    );

    let signed = sign(&w.viewer.token, &key, json!(60)).await;
    assert_eq!(signed.status, 200);
    let url = signed.json()["signedURL"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("/object/sign/{BUCKET}/{key}?token=")),
        "{url}"
    );
    let token = url.split("token=").nth(1).unwrap().to_string();
    let path = format!("/object/sign/{BUCKET}/{}", key.replace(' ', "%20"));

    // Anyone with the URL reads the object, without a session.
    let got = send(reqwest::Client::new().get(storage(&format!("{path}?token={token}")))).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, bytes);
    assert!(got.header("expires").is_some());
    let named =
        send(reqwest::Client::new().get(storage(&format!("{path}?token={token}&download=x.png"))))
            .await;
    assert_eq!(
        named.header("content-disposition").as_deref(),
        Some("attachment; filename=x.png; filename*=UTF-8''x.png")
    );

    // Tampered: the payload changed, the signature no longer matches.
    let mut parts: Vec<&str> = token.split('.').collect();
    let claims = base64url_decode(parts[1]);
    let mut claims: Value = serde_json::from_slice(&claims).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 3600);
    let forged_claims = base64url_encode(&serde_json::to_vec(&claims).unwrap());
    parts[1] = &forged_claims;
    let forged = parts.join(".");
    let refused =
        send(reqwest::Client::new().get(storage(&format!("{path}?token={forged}")))).await;
    let body = refused.assert_error("400", "InvalidJWT");
    assert_eq!(body["message"], "signature verification failed");

    // A valid token for another object.
    let other = key_in(w, "other.png");
    let refused = send(reqwest::Client::new().get(storage(&format!(
        "/object/sign/{BUCKET}/{other}?token={token}"
    ))))
    .await;
    refused.assert_error("400", "InvalidSignature");
    // No token at all.
    send(reqwest::Client::new().get(storage(&path)))
        .await
        .assert_error("400", "InvalidRequest");

    // Expired.
    let short = sign(&w.viewer.token, &key, json!(1)).await.json()["signedURL"]
        .as_str()
        .unwrap()
        .to_string();
    let short_token = short.split("token=").nth(1).unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired =
        send(reqwest::Client::new().get(storage(&format!("{path}?token={short_token}")))).await;
    let body = expired.assert_error("400", "InvalidJWT");
    assert_eq!(body["message"], "\"exp\" claim timestamp check failed");

    // Outsiders cannot sign what they cannot see; bad lifetimes are refused.
    sign(&w.outsider.token, &key, json!(60))
        .await
        .assert_error("404", "NoSuchKey");
    sign(&w.viewer.token, &key, json!(0))
        .await
        .assert_error("400", "InvalidRequest");
    send(
        reqwest::Client::new()
            .post(storage(&format!("/object/sign/{BUCKET}/{key}")))
            .json_body(&json!({"expiresIn": 60})),
    )
    .await
    .assert_error("403", "AccessDenied");
}

#[tokio::test]
async fn batch_signed_urls_say_which_paths_are_not_visible() {
    let w = world().await;
    let visible = key_in(w, "a.txt");
    assert_eq!(
        upload_raw(Some(&w.member.token), &visible, "text/plain", b"a".to_vec())
            .await
            .status,
        200
    );
    let missing = key_in(w, "missing.txt");
    let reply = send(
        request(
            reqwest::Method::POST,
            &format!("/object/sign/{BUCKET}"),
            Some(&w.viewer.token),
        )
        .json_body(&json!({"expiresIn": 60, "paths": [visible, missing]})),
    )
    .await;
    assert_eq!(reply.status, 200);
    let items = reply.json();
    assert_eq!(items[0]["path"], visible);
    assert_eq!(items[0]["error"], Value::Null);
    let url = items[0]["signedURL"].as_str().unwrap();
    let got = send(reqwest::Client::new().get(storage(url))).await;
    assert_eq!(got.body, b"a");
    assert_eq!(items[1]["signedURL"], Value::Null);
    assert_eq!(
        items[1]["error"],
        "Either the object does not exist or you do not have access to it"
    );
    let outsider = send(
        request(
            reqwest::Method::POST,
            &format!("/object/sign/{BUCKET}"),
            Some(&w.outsider.token),
        )
        .json_body(&json!({"expiresIn": 60, "paths": [visible]})),
    )
    .await;
    assert_eq!(outsider.json()[0]["signedURL"], Value::Null);
}

#[tokio::test]
async fn signed_upload_urls() {
    let w = world().await;
    let key = key_in(w, "via-token.png");
    let signed = send(request(
        reqwest::Method::POST,
        &format!("/object/upload/sign/{BUCKET}/{key}"),
        Some(&w.member.token),
    ))
    .await;
    assert_eq!(
        signed.status,
        200,
        "{}",
        String::from_utf8_lossy(&signed.body)
    );
    let body = signed.json();
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        body["url"],
        format!("/object/upload/sign/{BUCKET}/{key}?token={token}")
    );
    let put = send(
        reqwest::Client::new()
            .put(storage(&format!(
                "/object/upload/sign/{BUCKET}/{key}?token={token}"
            )))
            .header("content-type", "image/png")
            .body(png(100)),
    )
    .await;
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    assert_eq!(put.json(), json!({"Key": format!("{BUCKET}/{key}")}));
    assert_eq!(download(Some(&w.viewer.token), &key).await.body, png(100));
    let owner: String = sql(&format!(
        "select owner_id from storage.objects where name = '{key}'"
    ))
    .await[0]
        .get(0);
    assert_eq!(owner, w.member.id);
    // Used again without upsert: the object exists.
    let again = send(
        reqwest::Client::new()
            .put(storage(&format!(
                "/object/upload/sign/{BUCKET}/{key}?token={token}"
            )))
            .header("content-type", "image/png")
            .body(png(1)),
    )
    .await;
    again.assert_error("409", "KeyAlreadyExists");
    // A download token does not upload; viewers cannot get upload URLs.
    let down = sign(&w.viewer.token, &key, json!(60)).await.json()["signedURL"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    let other = key_in(w, "x.png");
    send(
        reqwest::Client::new()
            .put(storage(&format!(
                "/object/upload/sign/{BUCKET}/{key}?token={down}"
            )))
            .body(png(1)),
    )
    .await
    .assert_error("400", "InvalidSignature");
    send(request(
        reqwest::Method::POST,
        &format!("/object/upload/sign/{BUCKET}/{other}"),
        Some(&w.viewer.token),
    ))
    .await
    .assert_error("403", "AccessDenied");
}

// ---------------------------------------------------------------------------
// Deletes and listings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deletes_follow_the_delete_policy() {
    let w = world().await;
    let key = key_in(w, "mine.txt");
    assert_eq!(
        upload_raw(Some(&w.member.token), &key, "text/plain", b"m".to_vec())
            .await
            .status,
        200
    );
    let version: String = sql(&format!(
        "select version from storage.objects where name = '{key}'"
    ))
    .await[0]
        .get(0);
    let path = format!("/object/{BUCKET}/{key}");
    for token in [&w.viewer.token, &w.outsider.token] {
        let refused = send(request(reqwest::Method::DELETE, &path, Some(token))).await;
        let body = refused.assert_error("403", "AccessDenied");
        assert_eq!(body["message"], "Access denied");
    }
    send(request(reqwest::Method::DELETE, &path, None))
        .await
        .assert_error("403", "AccessDenied");
    let deleted = send(request(
        reqwest::Method::DELETE,
        &path,
        Some(&w.member.token),
    ))
    .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json(), json!({"message": "Successfully deleted"}));
    assert_eq!(object_row_count(&key).await, 0);
    assert!(!blob_root()
        .join("objects")
        .join(&version[..2])
        .join(&version)
        .exists());
    send(request(
        reqwest::Method::DELETE,
        &path,
        Some(&w.member.token),
    ))
    .await
    .assert_error("404", "NoSuchKey");

    // Batch: the owner (admin+) may delete a member's files; what a caller
    // may not delete stays and is left out of the answer.
    let a = key_in(w, "a.txt");
    let b = key_in(w, "b.txt");
    for k in [&a, &b] {
        assert_eq!(
            upload_raw(Some(&w.member.token), k, "text/plain", b"x".to_vec())
                .await
                .status,
            200
        );
    }
    let by_viewer = send(
        request(
            reqwest::Method::DELETE,
            &format!("/object/{BUCKET}"),
            Some(&w.viewer.token),
        )
        .json_body(&json!({"prefixes": [a, b]})),
    )
    .await;
    assert_eq!(by_viewer.status, 200);
    assert_eq!(by_viewer.json(), json!([]));
    let by_owner = send(
        request(
            reqwest::Method::DELETE,
            &format!("/object/{BUCKET}"),
            Some(&w.owner.token),
        )
        .json_body(&json!({"prefixes": [a, b, "not/there"]})),
    )
    .await;
    assert_eq!(by_owner.status, 200);
    let mut names: Vec<String> = by_owner
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(object_row_count(&a).await + object_row_count(&b).await, 0);
}

#[tokio::test]
async fn listings_show_one_folder_level_to_readers_only() {
    let w = world().await;
    let folder = uuid::Uuid::new_v4();
    let prefix = format!("{}/{}/{folder}", w.workflow, w.session);
    for name in ["b.txt", "a.txt", "C.txt"] {
        let k = format!("{prefix}/{name}");
        assert_eq!(
            upload_raw(
                Some(&w.member.token),
                &k,
                "text/plain",
                name.as_bytes().to_vec()
            )
            .await
            .status,
            200
        );
    }
    let list = |token: String, body: Value| async move {
        send(
            request(
                reqwest::Method::POST,
                &format!("/object/list/{BUCKET}"),
                Some(&token),
            )
            .json_body(&body),
        )
        .await
    };
    let files = list(w.viewer.token.clone(), json!({"prefix": prefix})).await;
    assert_eq!(files.status, 200);
    let files = files.json();
    let names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "b.txt", "C.txt"]);
    assert_eq!(files[0]["metadata"]["size"], 5);
    assert!(files[0]["id"].is_string());

    let page = list(
        w.viewer.token.clone(),
        json!({"prefix": prefix, "limit": 1, "offset": 1,
        "sortBy": {"column": "name", "order": "desc"}}),
    )
    .await
    .json();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["name"], "b.txt");
    let searched = list(
        w.viewer.token.clone(),
        json!({"prefix": prefix, "search": "c"}),
    )
    .await
    .json();
    assert_eq!(searched.as_array().unwrap().len(), 1);

    // One level up, the folder shows as an entry without id or metadata.
    let session_level = list(
        w.viewer.token.clone(),
        json!({"prefix": format!("{}/{}", w.workflow, w.session), "limit": 1000}),
    )
    .await
    .json();
    let entry = session_level
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == folder.to_string())
        .expect("the folder is listed");
    assert_eq!(entry["id"], Value::Null);
    assert_eq!(entry["metadata"], Value::Null);

    // Outsiders see nothing; a missing prefix is a schema error.
    let hidden = list(w.outsider.token.clone(), json!({"prefix": prefix})).await;
    assert_eq!(hidden.json(), json!([]));
    list(w.viewer.token.clone(), json!({}))
        .await
        .assert_error("400", "InvalidRequest");
}

#[tokio::test]
async fn public_buckets_are_read_without_a_token() {
    world().await;
    sql("insert into storage.buckets (id, name, public) values ('open', 'open', true) on conflict do nothing").await;
    let put = send(
        request(
            reqwest::Method::POST,
            "/object/open/logo.txt",
            Some(&shared().service),
        )
        .header("content-type", "text/plain")
        .body("hello"),
    )
    .await;
    assert_eq!(put.status, 200);
    for path in ["/object/open/logo.txt", "/object/public/open/logo.txt"] {
        let got = send(reqwest::Client::new().get(storage(path))).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.body, b"hello");
    }
    // The public route never serves a private bucket.
    send(reqwest::Client::new().get(storage(&format!("/object/public/{BUCKET}/x/y"))))
        .await
        .assert_error("404", "NoSuchBucket");
    // Unknown routes get Storage's not-found body.
    let unknown = send(request(reqwest::Method::GET, "/nothing/here", None)).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "Not Found");
}

fn base64url_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn base64url_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_refused_upload_is_answered_and_the_connection_reused() {
    let w = world().await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        // Refused by the insert policy before any byte of the 3 MB body is
        // read: the client still gets the error, not a broken pipe.
        let refused = send(
            client
                .post(storage(&format!("/object/{BUCKET}/{}", key_in(w, "x.pdf"))))
                .bearer_auth(&w.viewer.token)
                .header("content-type", "application/pdf")
                .body(vec![0u8; 3_000_000]),
        )
        .await;
        refused.assert_error("403", "AccessDenied");
    }
    let fine = send(
        client
            .post(storage(&format!("/object/{BUCKET}/{}", key_in(w, "y.pdf"))))
            .bearer_auth(&w.member.token)
            .header("content-type", "application/pdf")
            .body(vec![1u8; 1000]),
    )
    .await;
    assert_eq!(fine.status, 200);
}
