//! Supabase Realtime for devstack: the Phoenix websocket at
//! `/realtime/v1/websocket` (serializers 1.0.0 and 2.0.0), private channels
//! authorized by RLS on `realtime.messages`, broadcast from clients, from
//! the database and over REST, and presence.
//!
//! Protocol frames, tokens, join options and presence are pure modules;
//! the socket, the fan-out hub and the database sit at the edges.

pub mod auth;
pub mod frame;
pub mod hub;
pub mod join;
pub mod listener;
pub mod presence;
pub mod rest;
pub mod socket;
pub mod token;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use crate::clock::unix_secs;
use crate::gateway::{self, ApiKeys};
use crate::jwt::KeySet;
use crate::server::AppState;

/// Limits and timings; the defaults are Supabase Realtime's.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    /// Close a socket after this long without inbound data (Phoenix: 60 s).
    pub idle_timeout: Duration,
    /// Largest websocket frame or message accepted (Realtime: 5,000,000 B).
    pub max_frame_bytes: usize,
    /// Largest broadcast or presence payload (tenant default 3,000 KB).
    pub max_payload_bytes: usize,
    /// Channels one socket may join (Realtime: 100).
    pub max_channels: usize,
    /// Frames queued for one socket before it counts as too slow and is
    /// disconnected.
    pub send_queue: usize,
    /// Client presence calls allowed per window, per channel (5).
    pub presence_calls: u32,
    /// The presence call window (30 s).
    pub presence_window: Duration,
    /// Longest interval between token re-checks of a joined channel (5 min).
    pub token_recheck: Duration,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        RealtimeConfig {
            idle_timeout: Duration::from_secs(60),
            max_frame_bytes: 5_000_000,
            max_payload_bytes: 3_000 * 1000 + 500,
            max_channels: 100,
            send_queue: 4096,
            presence_calls: 5,
            presence_window: Duration::from_secs(30),
            token_recheck: Duration::from_secs(300),
        }
    }
}

impl RealtimeConfig {
    /// The defaults, with the send queue and idle timeout overridable by
    /// `DEVSTACK_REALTIME_SEND_QUEUE` (frames) and
    /// `DEVSTACK_REALTIME_IDLE_TIMEOUT_MS`, so tests can reach those bounds
    /// quickly.
    pub fn from_env() -> RealtimeConfig {
        let mut c = RealtimeConfig::default();
        let num = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(n) = num("DEVSTACK_REALTIME_SEND_QUEUE") {
            c.send_queue = n.max(1) as usize;
        }
        if let Some(ms) = num("DEVSTACK_REALTIME_IDLE_TIMEOUT_MS") {
            c.idle_timeout = Duration::from_millis(ms);
        }
        c
    }
}

/// One Realtime server: its groups, its database access and its secret.
pub struct Realtime {
    /// The fan-out groups.
    pub hub: Arc<hub::Hub>,
    auth: auth::Authorizer,
    pool: deadpool_postgres::Pool,
    verifier: KeySet,
    api_keys: ApiKeys,
    config: RealtimeConfig,
    owners: AtomicU64,
    shutdown: watch::Receiver<bool>,
}

impl Realtime {
    /// A server that verifies tokens with `verifier` (after swapping opaque
    /// API keys for their role JWTs, as the gateway does) and authorizes
    /// private channels on `pool`, whose connections must bypass RLS on
    /// `realtime.messages` (superuser or table owner).
    /// `shutdown` turning true closes every socket and stops the listener.
    pub fn new(
        pool: deadpool_postgres::Pool,
        verifier: KeySet,
        api_keys: ApiKeys,
        config: RealtimeConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Arc<Realtime> {
        Arc::new(Realtime {
            hub: Arc::new(hub::Hub::default()),
            auth: auth::Authorizer::new(pool.clone()),
            pool,
            verifier,
            api_keys,
            config,
            owners: AtomicU64::new(1),
            shutdown,
        })
    }

    /// The Realtime server of a stack: its superuser pool and its keys.
    pub fn for_app(state: &AppState) -> Arc<Realtime> {
        Realtime::new(
            state.admin_db.clone(),
            state.jwt.clone(),
            state.keys.clone(),
            RealtimeConfig::from_env(),
            state.shutdown.clone(),
        )
    }

    /// Starts delivering database broadcasts: a task LISTENing on a
    /// dedicated connection made from `config` (a superuser's), until
    /// shutdown.
    pub fn spawn_listener(&self, config: tokio_postgres::Config) -> tokio::task::JoinHandle<()> {
        let hub = self.hub.clone();
        let mut shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = listener::run(hub, config) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        })
    }

    /// Verifies a token with Realtime's rules at the current time.
    fn verify(&self, token: &str) -> Result<token::Claims, token::TokenError> {
        token::verify(token, &self.verifier, unix_secs())
    }

    /// Resolves when the stack shuts down.
    async fn stopping(&self) {
        let mut shutdown = self.shutdown.clone();
        let _ = shutdown.wait_for(|stop| *stop).await;
    }

    /// The limits in force.
    pub fn config(&self) -> &RealtimeConfig {
        &self.config
    }

    fn next_owner(&self) -> presence::OwnerId {
        self.owners.fetch_add(1, Ordering::Relaxed)
    }

    /// Broadcast replay for a private join: up to `limit` (1–25, default
    /// 25) broadcasts of the topic inserted since `since` (unix ms), oldest
    /// first, as `broadcast` payloads marked `meta.replayed`.
    async fn replay(&self, topic: &str, params: &Value) -> Result<Vec<Value>, socket::ReplayError> {
        let since = params
            .get("since")
            .and_then(Value::as_f64)
            .ok_or(socket::ReplayError::Invalid)?;
        let limit = match params.get("limit") {
            None | Some(Value::Null) => 25,
            Some(v) => v.as_i64().ok_or(socket::ReplayError::Invalid)?.clamp(1, 25),
        };
        let client = self
            .pool
            .get()
            .await
            .map_err(|_| socket::ReplayError::Failed)?;
        let rows = client
            .query(
                "select id::text, event, payload from realtime.messages \
                 where topic = $1 and private is true and extension = 'broadcast' \
                   and payload is not null \
                   and inserted_at >= (to_timestamp($2::float8 / 1000) at time zone 'UTC') \
                 order by inserted_at, id limit $3",
                &[&topic, &since, &limit],
            )
            .await
            .map_err(|_| socket::ReplayError::Failed)?;
        Ok(rows
            .iter()
            .map(|r| {
                let id: String = r.get(0);
                json!({
                    "type": "broadcast",
                    "event": r.get::<_, Option<String>>(1),
                    "payload": r.get::<_, Value>(2),
                    "meta": { "replayed": true, "id": id },
                })
            })
            .collect())
    }
}

/// Realtime for a stack: creates its server, starts the database listener
/// (when called inside the stack's runtime) and returns its routes.
pub fn service<S: Clone + Send + Sync + 'static>(state: &AppState) -> Router<S> {
    let rt = Realtime::for_app(state);
    if tokio::runtime::Handle::try_current().is_ok() {
        match state.db_url.parse::<tokio_postgres::Config>() {
            Ok(config) => {
                rt.spawn_listener(config);
            }
            Err(e) => eprintln!("devstack realtime: no database broadcasts: bad database URL: {e}"),
        }
    }
    router(rt)
}

/// The Realtime routes, ready to merge into the stack's router:
/// `/realtime/v1/websocket`, `/realtime/v1/api/broadcast` and
/// `/realtime/v1/api/broadcast/{topic}/events/{event}`.
pub fn router<S: Clone + Send + Sync + 'static>(rt: Arc<Realtime>) -> Router<S> {
    Router::new()
        .route("/realtime/v1/websocket", get(websocket))
        .route("/realtime/v1/api/broadcast", post(rest::batch))
        .route(
            "/realtime/v1/api/broadcast/{topic}/events/{event}",
            post(rest::single),
        )
        .with_state(rt)
}

/// `x-*` request headers as the JSON object Realtime puts in
/// `request.headers`.
fn x_headers(headers: &HeaderMap) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        if name.as_str().starts_with("x-") {
            if let Ok(v) = value.to_str() {
                map.insert(name.as_str().to_string(), Value::String(v.to_string()));
            }
        }
    }
    Value::Object(map)
}

fn handshake_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "error": message }))).into_response()
}

async fn websocket(
    State(rt): State<Arc<Realtime>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    // The gateway passes the key as `x-api-key` when it rewrites one;
    // otherwise it is the `apikey` query parameter.
    let token = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("apikey").cloned())
        .map(|key| gateway::socket_token(&rt.api_keys, &key))
        .unwrap_or_default();
    if let Err(e) = rt.verify(&token) {
        let (status, message) = e.handshake();
        return handshake_error(status, message);
    }
    let vsn = match frame::Vsn::from_query(query.get("vsn").map(String::as_str)) {
        Ok(v) => v,
        Err(e) => return handshake_error(403, &e.to_string()),
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let x = x_headers(&headers);
    upgrade
        .max_frame_size(rt.config.max_frame_bytes)
        .max_message_size(rt.config.max_frame_bytes)
        .on_upgrade(move |ws| socket::serve(rt, ws, vsn, token, x))
}
