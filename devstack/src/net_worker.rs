//! The worker behind the `net` schema: performs the HTTP requests that
//! `net.http_get` / `net.http_post` queue in `net.http_request_queue` and
//! records each outcome in `net._http_response` under the request's id, as
//! pg_net's background worker does (one attempt per request, no retries).
//!
//! It wakes on `NOTIFY devstack_net` (sent by the bootstrap's queue trigger)
//! and also polls every second, so nothing is missed if a notification is.
//! Plain `http://` only: devstack carries no TLS stack.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::server::SharedState;

/// Channel the queue trigger notifies.
pub const CHANNEL: &str = "devstack_net";
/// Queue rows taken per round.
const BATCH: i64 = 100;
/// Poll interval when no notification arrives.
const POLL: Duration = Duration::from_secs(1);

/// One queued request.
#[derive(Debug, Clone)]
pub struct QueuedRequest {
    /// Request id, also the response's id.
    pub id: i64,
    /// HTTP method (`GET`, `POST`, `DELETE`, ...).
    pub method: String,
    /// Full URL, query string included.
    pub url: String,
    /// Request headers.
    pub headers: Map<String, Value>,
    /// Request body.
    pub body: Option<Vec<u8>>,
    /// Time limit for the whole request.
    pub timeout_ms: i32,
}

/// The outcome recorded for a request, in `net._http_response`'s columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// HTTP status, when a response arrived.
    pub status_code: Option<i32>,
    /// The response's `Content-Type`.
    pub content_type: Option<String>,
    /// Response headers as a JSON object.
    pub headers: Option<Value>,
    /// Response body as text.
    pub content: Option<String>,
    /// Whether the time limit was hit.
    pub timed_out: bool,
    /// Why no response was recorded.
    pub error_msg: Option<String>,
}

/// Runs until `shutdown` turns true.
pub async fn run(state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let (wake_tx, mut wake_rx) = mpsc::unbounded_channel::<()>();
    let listener = tokio::spawn(listen(state.db_url.clone(), wake_tx));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("an HTTP client without TLS always builds");
    loop {
        if let Err(e) = drain_queue(&state, &http).await {
            eprintln!("devstack: net worker: {e}");
        }
        tokio::select! {
            _ = wake_rx.recv() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    listener.abort();
}

/// Keeps a LISTEN connection open and forwards each notification as a wake-up.
async fn listen(db_url: String, wake: mpsc::UnboundedSender<()>) {
    loop {
        if let Ok((client, mut connection)) = tokio_postgres::connect(&db_url, NoTls).await {
            let wake = wake.clone();
            let pump = tokio::spawn(async move {
                let mut messages = futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
                while let Some(message) = messages.next().await {
                    match message {
                        Ok(AsyncMessage::Notification(_)) => {
                            let _ = wake.send(());
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            });
            if client
                .batch_execute(&format!("listen {CHANNEL}"))
                .await
                .is_ok()
            {
                let _ = pump.await;
            } else {
                pump.abort();
            }
        }
        // Reconnect after a lost connection; polling covers the gap.
        tokio::time::sleep(POLL).await;
    }
}

/// Takes queued requests, performs them concurrently and records outcomes.
async fn drain_queue(state: &SharedState, http: &reqwest::Client) -> Result<(), String> {
    let client = state.admin_db.get().await.map_err(|e| e.to_string())?;
    loop {
        let has_queue = client
            .query_one(
                "select to_regclass('net.http_request_queue') is not null
                    and to_regclass('net._http_response') is not null",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?
            .get::<_, bool>(0);
        if !has_queue {
            return Ok(());
        }
        let rows = client
            .query(
                "delete from net.http_request_queue
                  where id in (select id from net.http_request_queue
                                order by id limit $1 for update skip locked)
              returning id, method::text, url, headers, body, timeout_milliseconds",
                &[&BATCH],
            )
            .await
            .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            return Ok(());
        }
        let requests: Vec<QueuedRequest> = rows
            .iter()
            .map(|row| QueuedRequest {
                id: row.get(0),
                method: row.get(1),
                url: row.get(2),
                headers: match row.get::<_, Option<Value>>(3) {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                },
                body: row.get(4),
                timeout_ms: row.get::<_, Option<i32>>(5).unwrap_or(5000),
            })
            .collect();
        let outcomes = futures_util::future::join_all(
            requests
                .iter()
                .map(|request| async move { (request.id, perform(http, request).await) }),
        )
        .await;
        for (id, outcome) in outcomes {
            client
                .execute(
                    "insert into net._http_response
                        (id, status_code, content_type, headers, content, timed_out, error_msg)
                     values ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &id,
                        &outcome.status_code,
                        &outcome.content_type,
                        &outcome.headers,
                        &outcome.content,
                        &outcome.timed_out,
                        &outcome.error_msg,
                    ],
                )
                .await
                .map_err(|e| e.to_string())?;
        }
    }
}

/// Performs one request, once.
pub async fn perform(http: &reqwest::Client, request: &QueuedRequest) -> Outcome {
    let method = match reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => return failure(format!("Unsupported HTTP method {}", request.method)),
    };
    if request.url.starts_with("https://") {
        return failure(
            "https is not supported by devstack's net worker (plain http only)".to_string(),
        );
    }
    let timeout = Duration::from_millis(request.timeout_ms.max(1) as u64);
    let mut builder = http.request(method, &request.url).timeout(timeout);
    for (name, value) in &request.headers {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        builder = builder.header(name.as_str(), value);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let response = match builder.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return timed_out(request.timeout_ms),
        Err(e) => return failure(error_text(&e)),
    };
    let status = response.status().as_u16() as i32;
    let mut headers: HashMap<String, String> = HashMap::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value)
            })
            .or_insert(value);
    }
    let content_type = headers.get("content-type").cloned();
    match response.bytes().await {
        Ok(body) => Outcome {
            status_code: Some(status),
            content_type,
            headers: Some(serde_json::to_value(headers).expect("string map")),
            content: Some(String::from_utf8_lossy(&body).into_owned()),
            timed_out: false,
            error_msg: None,
        },
        Err(e) if e.is_timeout() => timed_out(request.timeout_ms),
        Err(e) => failure(error_text(&e)),
    }
}

fn timed_out(ms: i32) -> Outcome {
    Outcome {
        timed_out: true,
        error_msg: Some(format!("Timeout of {ms} ms reached")),
        ..Outcome::default()
    }
}

fn failure(message: String) -> Outcome {
    Outcome {
        error_msg: Some(message),
        ..Outcome::default()
    }
}

/// The innermost cause, which says what actually went wrong.
fn error_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = inner.to_string();
        source = inner.source();
    }
    text
}
