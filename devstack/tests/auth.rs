//! `/auth/v1` over HTTP, and the tokens it signs as every other service
//! sees them: error shapes and codes, rate limits, refresh-token reuse,
//! confirmation, triggers on auth.users, the admin API, the gateway's key
//! rules, and third-party issuers.

mod common;

use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::Duration;

use devstack::auth::config::{AuthConfig, Limit};
use devstack::jwt::{HmacSecret, SigningKey};
use devstack::{StackInfo, StackOptions, ThirdPartyIssuer};
use serde_json::{json, Value};

use common::Reply;

/// Two identity providers the main stack trusts: one whose JWKS is a file,
/// one serving it over loopback HTTP.
struct Providers {
    file: SigningKey,
    served: SigningKey,
}

fn providers() -> &'static Providers {
    static P: OnceLock<Providers> = OnceLock::new();
    P.get_or_init(|| Providers {
        file: SigningKey::generate(),
        served: SigningKey::generate(),
    })
}

const FILE_ISSUER: &str = "https://idp-file.example";
const SERVED_ISSUER: &str = "https://idp-served.example";

/// Serves one JWKS document over HTTP on loopback until the process ends.
fn serve_jwks(document: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                document.len(),
                document
            );
        }
    });
    url
}

/// The main stack: Supabase's defaults but small rate limits, no refresh
/// reuse window, and two third-party issuers.
fn stack() -> &'static StackInfo {
    &main_stack().0
}

fn main_stack() -> &'static (StackInfo, std::path::PathBuf) {
    static STACK: OnceLock<(StackInfo, std::path::PathBuf)> = OnceLock::new();
    STACK.get_or_init(|| {
        let p = providers();
        let dir = tempfile::tempdir().unwrap().keep();
        let file = dir.join("jwks.json");
        std::fs::write(&file, json!({"keys": [p.file.public_jwk()]}).to_string()).unwrap();
        let url = serve_jwks(json!({"keys": [p.served.public_jwk()]}).to_string());
        let mut options = StackOptions::throwaway();
        options.sql_dir = common::fixtures().join("rpc");
        options.auth = AuthConfig {
            refresh_reuse_interval: Duration::ZERO,
            ..AuthConfig::default()
        };
        options.auth.rate_limits.sign_ups = Limit {
            count: 30,
            period: Duration::from_secs(300),
            burst: 3,
        };
        options.third_party = vec![
            ThirdPartyIssuer {
                issuer: FILE_ISSUER.into(),
                jwks: file.display().to_string(),
            },
            ThirdPartyIssuer {
                issuer: SERVED_ISSUER.into(),
                jwks: url,
            },
        ];
        common::start_shared(options)
    })
}

/// A stack with email confirmation on and anonymous sign-ins off.
fn confirming_stack() -> &'static StackInfo {
    static STACK: OnceLock<(StackInfo, std::path::PathBuf)> = OnceLock::new();
    &STACK
        .get_or_init(|| {
            let mut options = StackOptions::throwaway();
            options.sql_dir = common::fixtures().join("rpc");
            options.auth.autoconfirm = false;
            options.auth.anonymous_enabled = false;
            common::start_shared(options)
        })
        .0
}

/// A request to `/auth/v1/<path>` with the publishable key, the way
/// auth-js sends it (API version 2024-01-01) unless `legacy`.
struct Req {
    inner: reqwest::RequestBuilder,
}

impl Req {
    fn new(info: &StackInfo, method: reqwest::Method, path: &str) -> Req {
        Req::with_key(info, &info.publishable_key, method, path)
    }

    /// A request with the secret key, as the admin API is called.
    fn admin(info: &StackInfo, method: reqwest::Method, path: &str) -> Req {
        Req::with_key(info, &info.secret_key, method, path).bearer(&info.secret_key)
    }

    fn with_key(info: &StackInfo, key: &str, method: reqwest::Method, path: &str) -> Req {
        Req {
            inner: reqwest::Client::new()
                .request(method, format!("{}/auth/v1/{path}", info.url))
                .header("apikey", key)
                .header("x-supabase-api-version", "2024-01-01"),
        }
    }

    fn post(path: &str, body: Value) -> Req {
        Req::new(stack(), reqwest::Method::POST, path).json(body)
    }

    fn json(self, body: Value) -> Req {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    fn header(self, name: &str, value: &str) -> Req {
        Req {
            inner: self.inner.header(name, value),
        }
    }

    fn body(self, body: String) -> Req {
        Req {
            inner: self.inner.body(body),
        }
    }

    fn bearer(self, token: &str) -> Req {
        self.header("authorization", &format!("Bearer {token}"))
    }

    async fn send(self) -> Reply {
        let response = self.inner.send().await.expect("the stack answers");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }
}

fn unique_email() -> String {
    format!("u-{}@example.com", uuid::Uuid::new_v4())
}

/// Signs up a user from its own address (so the sign-up limit is not hit)
/// and returns the session.
async fn sign_up(email: &str) -> Value {
    let r = Req::post(
        "signup",
        json!({"email": email, "password": "a good password"}),
    )
    .header(
        "x-forwarded-for",
        &format!("10.1.{}.{}", rand_byte(), rand_byte()),
    )
    .send()
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn rand_byte() -> u8 {
    uuid::Uuid::new_v4().as_bytes()[0]
}

async fn sign_in(email: &str) -> Value {
    let r = Req::post(
        "token?grant_type=password",
        json!({"email": email, "password": "a good password"}),
    )
    .send()
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

async fn refresh(token: &str) -> Reply {
    Req::post(
        "token?grant_type=refresh_token",
        json!({"refresh_token": token}),
    )
    .send()
    .await
}

async fn rpc_whoami(info: &StackInfo, apikey: &str, bearer: Option<&str>) -> Reply {
    rpc(info, "t_whoami", apikey, bearer).await
}

async fn rpc(info: &StackInfo, function: &str, apikey: &str, bearer: Option<&str>) -> Reply {
    let mut req = reqwest::Client::new()
        .post(format!("{}/rest/v1/rpc/{function}", info.url))
        .header("apikey", apikey)
        .header("content-type", "application/json")
        .body("{}");
    if let Some(token) = bearer {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let response = req.send().await.unwrap();
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

#[tokio::test]
async fn errors_come_in_the_shape_the_request_asks_for() {
    let email = unique_email();
    sign_up(&email).await;
    let wrong = json!({"email": email, "password": "not the password"});
    let modern = Req::post("token?grant_type=password", wrong.clone())
        .send()
        .await;
    assert_eq!(modern.status, 400);
    assert_eq!(
        modern.json(),
        json!({"code": "invalid_credentials", "message": "Invalid login credentials"})
    );
    assert_eq!(
        modern.header("x-supabase-api-version").as_deref(),
        Some("2024-01-01")
    );
    assert_eq!(
        modern.header("x-sb-error-code").as_deref(),
        Some("invalid_credentials")
    );
    let legacy = reqwest::Client::new()
        .post(format!("{}/auth/v1/token?grant_type=password", stack().url))
        .header("apikey", &stack().publishable_key)
        .body(wrong.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.status(), 400);
    assert_eq!(
        serde_json::from_str::<Value>(&legacy.text().await.unwrap()).unwrap(),
        json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
    );
}

#[tokio::test]
async fn malformed_requests_are_named() {
    let r = Req::new(stack(), reqwest::Method::POST, "signup")
        .body("{not json".into())
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "bad_json");
    let r = Req::post("token?grant_type=magic", json!({})).send().await;
    assert_eq!(r.json()["message"], "unsupported_grant_type");
    let r = Req::post(
        "token?grant_type=refresh_token",
        json!({"refresh_token": "x"}),
    )
    .send()
    .await;
    assert_eq!(r.json()["code"], "validation_failed");
    let r = Req::post("signup", json!({"email": "a@b.example", "password": ""}))
        .send()
        .await;
    assert_eq!(r.json()["message"], "Signup requires a valid password");
    let r = Req::post(
        "signup",
        json!({"email": "a@b.example", "password": "x".repeat(73)}),
    )
    .send()
    .await;
    assert_eq!(
        r.json()["message"],
        "Password cannot be longer than 72 characters"
    );
    let session = sign_up(&unique_email()).await;
    let token = session["access_token"].as_str().unwrap();
    let r = Req::post("logout?scope=everyone", json!({}))
        .bearer(token)
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["message"], "Unsupported logout scope \"everyone\"");
    let r = Req::new(stack(), reqwest::Method::GET, "user").send().await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (401, json!("no_authorization"))
    );
    let r = Req::new(stack(), reqwest::Method::GET, "user")
        .bearer(&stack().anon_key)
        .send()
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "invalid JWT: invalid claim: missing sub claim"
    );
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_address() {
    let from = |addr: &'static str| {
        move |email: String| {
            Req::post(
                "signup",
                json!({"email": email, "password": "a good password"}),
            )
            .header("x-forwarded-for", addr)
        }
    };
    let a = from("192.0.2.1");
    for _ in 0..3 {
        assert_eq!(a(unique_email()).send().await.status, 200);
    }
    let limited = a(unique_email()).send().await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json()["code"], "over_request_rate_limit");
    // Another address is not held back by the first.
    assert_eq!(from("192.0.2.2")(unique_email()).send().await.status, 200);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_ends_the_session() {
    let email = unique_email();
    let s0 = sign_up(&email).await;
    let t0 = s0["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(t0.len(), 12);
    let s1 = refresh(&t0).await.json();
    let t1 = s1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(t0, t1);
    // A lost answer: the parent of the current token gets the current one.
    assert_eq!(refresh(&t0).await.json()["refresh_token"], t1);
    let t2 = refresh(&t1).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    // t0 is two generations old: someone replayed it.
    let reused = refresh(&t0).await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.json()["code"], "refresh_token_already_used");
    // And the whole session's tokens are revoked.
    assert_eq!(
        refresh(&t2).await.json()["code"],
        "refresh_token_already_used"
    );
}

#[tokio::test]
async fn user_tokens_state_the_user_and_session_and_rest_sees_them() {
    let email = unique_email();
    let session = sign_up(&email).await;
    let token = session["access_token"].as_str().unwrap();
    assert_eq!(session["token_type"], "bearer");
    assert_eq!(session["expires_in"], 3600);
    let whoami = rpc_whoami(stack(), &stack().publishable_key, Some(token)).await;
    assert_eq!(whoami.status, 200, "{}", whoami.text);
    let who = whoami.json();
    assert_eq!(who["current_user"], "authenticated");
    assert_eq!(who["uid"], session["user"]["id"]);
    let claims = &who["claims"];
    assert_eq!(claims["email"], email);
    assert_eq!(claims["session_id"].as_str().unwrap().len(), 36);
    assert_eq!(claims["iss"], format!("{}/auth/v1", stack().url));
    // The publishable key alone is anon; the secret key is the service role.
    let anon = rpc_whoami(stack(), &stack().publishable_key, None)
        .await
        .json();
    assert_eq!(anon["current_user"], "anon");
    let service = rpc_whoami(stack(), &stack().secret_key, None).await.json();
    assert_eq!(service["current_user"], "service_role");
}

#[tokio::test]
async fn every_service_refuses_foreign_forged_and_expired_tokens() {
    let now = devstack::clock::unix_secs();
    let claims = json!({"sub": uuid::Uuid::new_v4(), "role": "authenticated", "exp": now + 600});
    let another_stack = SigningKey::generate().sign(&claims);
    let expired = {
        // Signed by this stack's own key, read from its key store.
        let store: Value = serde_json::from_str(
            &std::fs::read_to_string(main_stack().1.join("keys.json")).unwrap(),
        )
        .unwrap();
        let key = SigningKey::from_private_jwk(&store["signing_keys"][0]).unwrap();
        key.sign(&json!({"sub": uuid::Uuid::new_v4(), "role": "authenticated", "exp": now - 120}))
    };
    let jwks: Value = serde_json::from_str(
        &reqwest::get(format!("{}/auth/v1/.well-known/jwks.json", stack().url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    // Algorithm confusion: HS256 "signed" with the published public key.
    let confused = HmacSecret::new(jwks["keys"][0].to_string()).sign(&claims);
    let b64 = |v: Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.to_string(),
        )
    };
    let unsigned = format!("{}.{}.", b64(json!({"alg": "none"})), b64(claims.clone()));

    for (name, token, rest_message) in [
        (
            "another stack's key",
            &another_stack,
            "No suitable key or wrong key type",
        ),
        ("expired", &expired, "JWT expired"),
        (
            "alg confusion",
            &confused,
            "No suitable key or wrong key type",
        ),
        (
            "alg none",
            &unsigned,
            "Wrong or unsupported encoding algorithm",
        ),
    ] {
        let rest = rpc_whoami(stack(), &stack().publishable_key, Some(token)).await;
        assert_eq!(rest.status, 401, "{name}: {}", rest.text);
        assert_eq!(rest.json()["message"], rest_message, "{name}");

        let storage = reqwest::Client::new()
            .get(format!("{}/storage/v1/bucket", stack().url))
            .header("apikey", &stack().publishable_key)
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert!(storage.status().is_client_error(), "{name}: storage");

        let realtime = realtime_handshake(token).await;
        assert_eq!(realtime, 401, "{name}: realtime");

        let auth = Req::new(stack(), reqwest::Method::GET, "user")
            .bearer(token)
            .send()
            .await;
        assert_eq!(auth.status, 403, "{name}: auth");
        assert_eq!(auth.json()["code"], "bad_jwt", "{name}: auth");
    }
}

/// The HTTP status of a Realtime websocket handshake with `token` as the
/// socket's key.
async fn realtime_handshake(token: &str) -> u16 {
    let url = format!(
        "{}/realtime/v1/websocket?apikey={token}&vsn=1.0.0",
        stack().url.replace("http://", "ws://")
    );
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("handshake failed oddly: {e}"),
    }
}

#[tokio::test]
async fn realtime_accepts_the_publishable_key_and_es256_user_tokens() {
    assert_eq!(realtime_handshake(&stack().publishable_key).await, 101);
    let session = sign_up(&unique_email()).await;
    assert_eq!(
        realtime_handshake(session["access_token"].as_str().unwrap()).await,
        101
    );
}

#[tokio::test]
async fn third_party_tokens_reach_sql_with_their_claims() {
    // auth.uid() casts `sub` to uuid, which third-party subjects are not:
    // read the claims the way Supabase's docs advise for them.
    sql_batch(
        "create or replace function public.t_claims() returns jsonb
             language sql stable as $$ select jsonb_build_object(
                 'current_user', current_user, 'claims', auth.jwt()) $$",
    )
    .await;
    let now = devstack::clock::unix_secs();
    for (key, issuer) in [
        (&providers().file, FILE_ISSUER),
        (&providers().served, SERVED_ISSUER),
    ] {
        let token = key.sign(&json!({
            "iss": issuer,
            "sub": "user_2abcdefGHIJ",
            "role": "authenticated",
            "exp": now + 600,
            "org_id": "org_42",
        }));
        let r = rpc(stack(), "t_claims", &stack().publishable_key, Some(&token)).await;
        assert_eq!(r.status, 200, "{issuer}: {}", r.text);
        let who = r.json();
        assert_eq!(who["current_user"], "authenticated");
        assert_eq!(who["claims"]["iss"], issuer);
        assert_eq!(who["claims"]["sub"], "user_2abcdefGHIJ");
        assert_eq!(who["claims"]["org_id"], "org_42");
        assert_eq!(realtime_handshake(&token).await, 101, "{issuer}");
        // Such users are not Supabase Auth users: Auth does not know them.
        let auth = Req::new(stack(), reqwest::Method::GET, "user")
            .bearer(&token)
            .send()
            .await;
        assert_eq!(auth.status, 403);
    }
}

#[tokio::test]
async fn the_gateway_keeps_secret_keys_out_of_browsers() {
    let from_browser = reqwest::Client::new()
        .post(format!("{}/rest/v1/rpc/t_whoami", stack().url))
        .header("apikey", &stack().secret_key)
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(from_browser.status(), 401);
    let body: Value = serde_json::from_str(&from_browser.text().await.unwrap()).unwrap();
    assert_eq!(
        body["message"],
        "Forbidden use of secret API key in browser"
    );
    // An opaque key in Authorization that is not the apikey.
    let mixed = rpc_whoami(stack(), &stack().publishable_key, Some(&stack().secret_key)).await;
    assert_eq!(mixed.status, 401);
    assert_eq!(mixed.json()["message"], "Invalid API key");
    let unknown = rpc_whoami(stack(), "sb_publishable_not-this-stacks", None).await;
    assert_eq!(unknown.status, 401);
}

#[tokio::test]
async fn confirmation_on_keeps_unconfirmed_users_out_and_hides_taken_addresses() {
    let info = confirming_stack();
    let email = unique_email();
    let signup = |email: String| {
        Req::new(info, reqwest::Method::POST, "signup")
            .json(json!({"email": email, "password": "a good password"}))
    };
    let first = signup(email.clone()).send().await;
    assert_eq!(first.status, 200);
    let user = first.json();
    assert!(
        user.get("access_token").is_none(),
        "no session before confirmation"
    );
    assert!(user["confirmation_sent_at"].is_string());
    let login = Req::new(info, reqwest::Method::POST, "token?grant_type=password")
        .json(json!({"email": email, "password": "a good password"}))
        .send()
        .await;
    assert_eq!(login.json()["code"], "email_not_confirmed");
    // Confirm through the admin API, then the address is taken: a new
    // sign-up with it looks like a fresh user, with another id.
    let id = user["id"].as_str().unwrap();
    let confirm = Req::admin(info, reqwest::Method::PUT, &format!("admin/users/{id}"))
        .json(json!({"email_confirm": true}))
        .send()
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    let again = signup(email.clone()).send().await.json();
    assert_ne!(again["id"], user["id"]);
    assert_eq!(again["identities"], json!([]));
    let anonymous = Req::new(info, reqwest::Method::POST, "signup")
        .json(json!({}))
        .send()
        .await;
    assert_eq!(anonymous.status, 422);
    assert_eq!(anonymous.json()["code"], "anonymous_provider_disabled");
}

#[tokio::test]
async fn triggers_on_auth_users_run_as_on_supabase() {
    sql_batch(
        "create table if not exists public.t_profiles (id uuid primary key, name text);
         create or replace function public.t_handle_new_user() returns trigger
             language plpgsql security definer set search_path = '' as $$
         begin
             if new.raw_user_meta_data ->> 'name' = 'refuse me' then
                 raise exception 'names like that are not welcome';
             end if;
             insert into public.t_profiles (id, name) values (new.id, new.raw_user_meta_data ->> 'name');
             return new;
         end $$;
         drop trigger if exists t_on_auth_user_created on auth.users;
         create trigger t_on_auth_user_created after insert on auth.users
             for each row execute procedure public.t_handle_new_user();",
    )
    .await;
    let email = unique_email();
    let ok = Req::post(
        "signup",
        json!({"email": email, "password": "a good password", "data": {"name": "Ada"}}),
    )
    .header("x-forwarded-for", "198.51.100.7")
    .send()
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let id = ok.json()["user"]["id"].as_str().unwrap().to_string();
    let rows = sql_rows(&format!(
        "select name from public.t_profiles where id = '{id}'"
    ))
    .await;
    assert_eq!(rows[0].get::<_, Option<String>>(0).as_deref(), Some("Ada"));
    let refused = Req::post(
        "signup",
        json!({"email": unique_email(), "password": "a good password", "data": {"name": "refuse me"}}),
    )
    .header("x-forwarded-for", "198.51.100.8")
    .send()
    .await;
    assert_eq!(refused.status, 500);
    assert_eq!(refused.json()["message"], "Database error saving new user");
}

/// Runs statements as the superuser on the main stack.
async fn sql_batch(statements: &str) {
    db().await.batch_execute(statements).await.unwrap();
}

/// Runs a query as the superuser on the main stack.
async fn sql_rows(query: &str) -> Vec<tokio_postgres::Row> {
    db().await.query(query, &[]).await.unwrap()
}

async fn db() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&stack().db_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn admin_routes_page_validate_and_soft_delete() {
    let admin = |method: reqwest::Method, path: &str| Req::admin(stack(), method, path);
    for _ in 0..3 {
        sign_up(&unique_email()).await;
    }
    let page = admin(reqwest::Method::GET, "admin/users?page=1&per_page=2")
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["users"].as_array().unwrap().len(), 2);
    let total: i64 = page.header("x-total-count").unwrap().parse().unwrap();
    assert!(total >= 3);
    assert!(page.header("link").unwrap().contains("rel=\"next\""));
    let bad = admin(reqwest::Method::GET, "admin/users/not-a-uuid")
        .send()
        .await;
    assert_eq!(
        (bad.status, bad.json()["code"].clone()),
        (404, json!("validation_failed"))
    );
    let missing = admin(
        reqwest::Method::GET,
        &format!("admin/users/{}", uuid::Uuid::new_v4()),
    )
    .send()
    .await;
    assert_eq!(
        (missing.status, missing.json()["code"].clone()),
        (404, json!("user_not_found"))
    );
    let no_email = admin(reqwest::Method::POST, "admin/users")
        .json(json!({}))
        .send()
        .await;
    assert_eq!(no_email.status, 400);

    let email = unique_email();
    let session = sign_up(&email).await;
    let id = session["user"]["id"].as_str().unwrap();
    let soft = admin(reqwest::Method::DELETE, &format!("admin/users/{id}"))
        .json(json!({"should_soft_delete": true}))
        .send()
        .await;
    assert_eq!(soft.status, 200, "{}", soft.text);
    let after = admin(reqwest::Method::GET, &format!("admin/users/{id}"))
        .send()
        .await;
    assert!(after.json()["deleted_at"].is_string());
    let login = Req::post(
        "token?grant_type=password",
        json!({"email": email, "password": "a good password"}),
    )
    .send()
    .await;
    assert_eq!(login.json()["code"], "invalid_credentials");
    // A user token is not an admin.
    let as_user = Req::new(stack(), reqwest::Method::GET, "admin/users")
        .bearer(sign_in_new().await.as_str())
        .send()
        .await;
    assert_eq!(as_user.json()["code"], "not_admin");
}

async fn sign_in_new() -> String {
    let email = unique_email();
    sign_up(&email).await;
    sign_in(&email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}
