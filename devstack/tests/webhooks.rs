//! Webhook retries run on devstack without anyone calling the sweep: the
//! scheduler stands in for the pg_cron job, the net worker for pg_net. Uses
//! the project's real migrations.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use devstack::{Stack, StackOptions};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio_postgres::NoTls;

/// Bodies and signature headers received, in order.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// An endpoint that fails its first request with 503 and accepts the rest.
async fn flaky_endpoint() -> (String, Received) {
    let received: Received = Arc::default();
    let log = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let signature = headers
                    .get("x-workflow-chat-signature")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let mut log = log.lock().unwrap();
                log.push((body, signature));
                if log.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn rpc(base: &str, anon: &str, token: Option<&str>, function: &str, args: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/rest/v1/rpc/{function}"))
        .header("apikey", anon)
        .header("content-type", "application/json")
        .body(args.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{function}: {status} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delivery_is_retried_and_signed_identically() {
    let stack = tokio::task::spawn_blocking(|| Stack::start(StackOptions::throwaway()))
        .await
        .unwrap()
        .expect("the stack starts");
    let info = stack.info().clone();
    let (hook_url, received) = flaky_endpoint().await;
    let secret = "a-webhook-secret-of-some-length";

    let token = rpc(
        &info.url,
        &info.anon_key,
        None,
        "wc_register",
        json!({"email": "hooks@example.test", "password": "correct horse", "display_name": "Hooks"}),
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let workflow = rpc(
        &info.url,
        &info.anon_key,
        Some(&token),
        "wc_create_workflow",
        json!({"name": "Hooked"}),
    )
    .await;
    let workflow_id = workflow["id"].as_str().unwrap().to_string();
    rpc(
        &info.url,
        &info.anon_key,
        Some(&token),
        "wc_set_webhook",
        json!({"workflow_id": workflow_id, "url": hook_url, "secret": secret}),
    )
    .await;
    rpc(
        &info.url,
        &info.anon_key,
        Some(&token),
        "wc_create_session",
        json!({"workflow_id": workflow_id, "title": "With a webhook"}),
    )
    .await;

    let (db, connection) = tokio_postgres::connect(&info.admin_db_url, NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    wait_until("the first attempt", || {
        let received = received.clone();
        async move { received.lock().unwrap().len() == 1 }
    })
    .await;
    // The sweep records the 503 and schedules a retry 30 s out; bring it due.
    wait_until("the failure to be recorded", || async {
        let row = db
            .query_one(
                "select status::text, attempts from workflow_chat.webhook_delivery",
                &[],
            )
            .await
            .unwrap();
        row.get::<_, String>(0) == "pending" && row.get::<_, i32>(1) == 1
    })
    .await;
    db.execute(
        "update workflow_chat.webhook_delivery set next_attempt_at = now()",
        &[],
    )
    .await
    .unwrap();
    wait_until("the delivery to succeed", || async {
        let status: String = db
            .query_one(
                "select status::text from workflow_chat.webhook_delivery",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        status == "delivered"
    })
    .await;

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "one failure, one retry");
    assert_eq!(
        received[0].0, received[1].0,
        "the retry sends the same body"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(received[1].0.as_bytes());
    let expected = format!("sha256={}", hex(&mac.finalize().into_bytes()));
    assert_eq!(received[1].1, expected);
    let body: Value = serde_json::from_str(&received[1].0).unwrap();
    assert_eq!(body["event"], "session.created");
    assert_eq!(body["data"]["title"], "With a webhook");
    drop(stack);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
