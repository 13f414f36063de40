//! The pg_net worker: requests queued with `net.http_post` / `net.http_get`
//! are performed once and their outcome lands in `net._http_response`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use common::stack;
use tokio_postgres::NoTls;

/// A received request: body and `x-signature` header.
type Received = (String, Option<String>);

#[derive(Default, Clone)]
struct Seen {
    requests: Arc<Mutex<Vec<Received>>>,
}

/// A `net._http_response` row: status, content, headers, timed out, error.
type Recorded = (
    Option<i32>,
    Option<String>,
    Option<serde_json::Value>,
    bool,
    Option<String>,
);

/// A local endpoint: `/hook` records body and `x-signature`, answers 201;
/// `/slow` answers after two seconds.
async fn endpoint() -> (String, Seen) {
    let seen = Seen::default();
    let recorder = seen.clone();
    let app = Router::new()
        .route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let recorder = recorder.clone();
                async move {
                    let signature = headers
                        .get("x-signature")
                        .map(|v| v.to_str().unwrap().to_string());
                    recorder.requests.lock().unwrap().push((body, signature));
                    (axum::http::StatusCode::CREATED, "thanks")
                }
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn db() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&stack().admin_db_url, NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Waits for the response row of request `id`.
async fn response(client: &tokio_postgres::Client, id: i64) -> Recorded {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = client
            .query_opt(
                "select status_code, content, headers, timed_out, error_msg
                   from net._http_response where id = $1",
                &[&id],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            return (
                row.get(0),
                row.get(1),
                row.get(2),
                row.get::<_, Option<bool>>(3).unwrap_or(false),
                row.get(4),
            );
        }
        assert!(Instant::now() < deadline, "no response recorded for {id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_post_is_performed_once_and_recorded() {
    let (url, seen) = endpoint().await;
    let client = db().await;
    let id: i64 = client
        .query_one(
            "select net.http_post(url := $1, body := '{\"event\":\"sent\"}'::jsonb,
                                  headers := '{\"Content-Type\":\"application/json\",\"X-Signature\":\"abc\"}'::jsonb)",
            &[&format!("{url}/hook")],
        )
        .await
        .unwrap()
        .get(0);
    let (status, content, headers, timed_out, error) = response(&client, id).await;
    assert_eq!(status, Some(201));
    assert_eq!(content.as_deref(), Some("thanks"));
    assert!(headers.unwrap()["content-type"]
        .as_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(!timed_out);
    assert_eq!(error, None);
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&requests[0].0).unwrap();
    assert_eq!(body, serde_json::json!({"event": "sent"}));
    assert_eq!(requests[0].1.as_deref(), Some("abc"));
    let queued: i64 = client
        .query_one(
            "select count(*) from net.http_request_queue where id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 0, "the queue row is consumed");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_endpoint_is_recorded_as_timed_out() {
    let (url, _) = endpoint().await;
    let client = db().await;
    let id: i64 = client
        .query_one(
            "select net.http_get(url := $1, timeout_milliseconds := 200)",
            &[&format!("{url}/slow")],
        )
        .await
        .unwrap()
        .get(0);
    let (status, _, _, timed_out, error) = response(&client, id).await;
    assert_eq!(status, None);
    assert!(timed_out);
    assert!(error.unwrap().contains("Timeout"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_endpoint_is_recorded_as_an_error() {
    let port = devstack::postgres::free_port().unwrap();
    let client = db().await;
    let id: i64 = client
        .query_one(
            "select net.http_get(url := $1)",
            &[&format!("http://127.0.0.1:{port}/nothing-here")],
        )
        .await
        .unwrap()
        .get(0);
    let (status, _, _, timed_out, error) = response(&client, id).await;
    assert_eq!(status, None);
    assert!(!timed_out);
    assert!(error.is_some_and(|e| !e.is_empty()));
}
