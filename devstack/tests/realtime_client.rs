//! A raw Phoenix websocket client and a shared throwaway stack for the
//! Realtime integration tests (included as a module by each of them).

#![allow(dead_code)]

use devstack::jwt::HmacSecret;
use devstack::realtime::frame::{decode_user_broadcast, UserBroadcast, Vsn};
use devstack::{Stack, StackOptions};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connection facts of the shared stack.
#[derive(Clone, Debug)]
pub struct Env {
    pub url: String,
    pub ws_url: String,
    pub anon: String,
    pub service: String,
    pub secret: String,
    pub db_url: String,
}

static STACK: Mutex<Option<Stack>> = Mutex::new(None);
static ENV: OnceLock<Env> = OnceLock::new();

extern "C" fn stop_shared_stack() {
    if let Ok(mut guard) = STACK.lock() {
        if let Some(mut stack) = guard.take() {
            stack.stop();
        }
    }
}

/// Starts the test binary's stack on first use (with `vars` set in the
/// environment first) and stops it when the process exits.
pub fn env_with(vars: &[(&str, &str)]) -> Env {
    ENV.get_or_init(|| {
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
        let stack = Stack::start(StackOptions::throwaway()).expect("stack starts");
        let env = Env {
            url: stack.url().to_string(),
            ws_url: stack.url().replacen("http", "ws", 1) + "/realtime/v1/websocket",
            anon: stack.anon_key().to_string(),
            service: stack.service_role_key().to_string(),
            secret: stack.jwt_secret().to_string(),
            db_url: stack.admin_db_url().to_string(),
        };
        *STACK.lock().unwrap() = Some(stack);
        // SAFETY: registering a plain extern "C" function with no captures.
        unsafe { libc::atexit(stop_shared_stack) };
        env
    })
    .clone()
}

/// The shared stack with default settings.
pub fn env() -> Env {
    env_with(&[])
}

/// A user token signed with the stack's secret.
pub fn user_token(env: &Env, sub: &str, ttl_secs: i64) -> String {
    let now = devstack::clock::unix_secs();
    sign(
        env,
        json!({"sub": sub, "role": "authenticated", "aud": "authenticated", "exp": now + ttl_secs, "iat": now}),
    )
}

/// Signs arbitrary claims with the stack's secret.
pub fn sign(env: &Env, claims: Value) -> String {
    HmacSecret::new(env.secret.clone()).sign(&claims)
}

/// Runs SQL as the superuser.
pub async fn sql(env: &Env, query: &str) {
    let (client, conn) = tokio_postgres::connect(&env.db_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client
        .batch_execute(query)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    drop(client);
    let _ = task.await;
}

/// A superuser database client.
pub async fn db(env: &Env) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&env.db_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

/// What the server sent.
#[derive(Debug, Clone)]
pub enum Frame {
    /// A JSON frame normalised to `{join_ref, ref, topic, event, payload}`.
    Json(Value),
    /// A kind-4 user broadcast.
    User(String, UserBroadcast),
    /// The socket closed (code, reason).
    Closed(Option<u16>, String),
}

impl Frame {
    /// The event name (`broadcast` for kind-4 frames).
    pub fn event(&self) -> &str {
        match self {
            Frame::Json(v) => v["event"].as_str().unwrap_or(""),
            Frame::User(..) => "broadcast",
            Frame::Closed(..) => "<closed>",
        }
    }

    /// The JSON form (kind-4 frames as realtime-js presents them).
    pub fn json(&self) -> Value {
        match self {
            Frame::Json(v) => v.clone(),
            Frame::User(topic, ub) => {
                let mut p = json!({"type": "broadcast", "event": ub.event});
                p["payload"] = match ub.encoding {
                    devstack::realtime::frame::Encoding::Json => {
                        serde_json::from_slice(&ub.payload).unwrap()
                    }
                    devstack::realtime::frame::Encoding::Binary => json!({"binary": ub.payload}),
                };
                if let Some(m) = &ub.metadata {
                    p["meta"] = Value::Object(m.clone());
                }
                json!({"join_ref": null, "ref": null, "topic": topic, "event": "broadcast", "payload": p})
            }
            Frame::Closed(code, reason) => json!({"closed": code, "reason": reason}),
        }
    }

    /// `payload` of the JSON form.
    pub fn payload(&self) -> Value {
        self.json()["payload"].clone()
    }
}

/// A raw client speaking one serializer.
pub struct Client {
    pub ws: Ws,
    pub vsn: Vsn,
    next_ref: u64,
}

impl Client {
    /// Connects with `apikey` and `vsn`.
    pub async fn connect(env: &Env, apikey: &str, vsn: Vsn) -> Client {
        let v = if vsn == Vsn::V1 { "1.0.0" } else { "2.0.0" };
        let url = format!("{}?apikey={}&vsn={v}", env.ws_url, apikey);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        Client {
            ws,
            vsn,
            next_ref: 100,
        }
    }

    /// Connects with the anon key.
    pub async fn anon(env: &Env, vsn: Vsn) -> Client {
        Client::connect(env, &env.anon, vsn).await
    }

    /// A fresh ref.
    pub fn new_ref(&mut self) -> String {
        self.next_ref += 1;
        self.next_ref.to_string()
    }

    /// Sends a JSON frame in this client's serializer.
    pub async fn send(
        &mut self,
        join_ref: Option<&str>,
        ref_: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) {
        self.try_send(join_ref, ref_, topic, event, payload)
            .await
            .unwrap();
    }

    /// Sends a JSON frame, reporting a write the server cut off (it may
    /// close the socket while a frame over its limit is still being sent).
    pub async fn try_send(
        &mut self,
        join_ref: Option<&str>,
        ref_: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        let text = match self.vsn {
            Vsn::V1 => {
                let mut o =
                    json!({"topic": topic, "event": event, "payload": payload, "ref": ref_});
                if let Some(j) = join_ref {
                    o["join_ref"] = json!(j);
                }
                o.to_string()
            }
            Vsn::V2 => json!([join_ref, ref_, topic, event, payload]).to_string(),
        };
        self.ws.send(Message::Text(text.into())).await
    }

    /// Sends raw bytes as a binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::Binary(bytes.into())).await.unwrap();
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_string().into()))
            .await
            .unwrap();
    }

    /// The next frame (pings and pongs skipped), or `None` after `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Frame> {
        loop {
            let msg = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) => return Some(Frame::Closed(None, String::new())),
                Ok(Some(Err(e))) => return Some(Frame::Closed(None, e.to_string())),
                Ok(Some(Ok(m))) => m,
            };
            return Some(match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    Frame::Json(match self.vsn {
                        Vsn::V1 => {
                            json!({"join_ref": null, "ref": v["ref"], "topic": v["topic"], "event": v["event"], "payload": v["payload"]})
                        }
                        Vsn::V2 => {
                            json!({"join_ref": v[0], "ref": v[1], "topic": v[2], "event": v[3], "payload": v[4]})
                        }
                    })
                }
                Message::Binary(b) => {
                    let (topic, ub) = decode_user_broadcast(&b).expect("kind-4 frame");
                    Frame::User(topic, ub)
                }
                Message::Close(c) => Frame::Closed(
                    c.as_ref().map(|c| u16::from(c.code)),
                    c.map(|c| c.reason.to_string()).unwrap_or_default(),
                ),
                _ => continue,
            });
        }
    }

    /// The next frame within 5 s; panics otherwise.
    pub async fn next(&mut self) -> Frame {
        self.next_within(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    /// Skips frames until one with `event`, within 5 s.
    pub async fn expect_event(&mut self, event: &str) -> Frame {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(f) if f.event() == event => return f,
                Some(Frame::Closed(c, r)) => panic!("closed ({c:?} {r}) while waiting for {event}"),
                Some(_) => continue,
                None => panic!("no {event} within 5 s"),
            }
        }
    }

    /// Asserts nothing but heartbeat replies arrives for `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Some(f) = self.next_within(wait).await {
            panic!("expected silence, got {f:?}");
        }
    }

    /// Sends a push and returns its `phx_reply`.
    pub async fn call(
        &mut self,
        join_ref: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> Value {
        let r = self.new_ref();
        self.send(join_ref, Some(&r), topic, event, payload).await;
        loop {
            let f = self.next().await;
            let j = f.json();
            if j["event"] == "phx_reply" && j["ref"] == json!(r) {
                return j["payload"].clone();
            }
        }
    }

    /// Joins `topic` with `config` (and an optional access token); returns
    /// the join ref and the reply payload.
    pub async fn join(
        &mut self,
        topic: &str,
        config: Value,
        token: Option<&str>,
    ) -> (String, Value) {
        let join_ref = self.new_ref();
        let mut payload = json!({"config": config});
        if let Some(t) = token {
            payload["access_token"] = json!(t);
        }
        self.send(Some(&join_ref), Some(&join_ref), topic, "phx_join", payload)
            .await;
        loop {
            let f = self.next().await;
            let j = f.json();
            if j["event"] == "phx_reply" && j["ref"] == json!(join_ref) {
                return (join_ref, j["payload"].clone());
            }
        }
    }

    /// Joins and asserts success; returns the join ref.
    pub async fn join_ok(&mut self, topic: &str, config: Value, token: Option<&str>) -> String {
        let (jr, reply) = self.join(topic, config, token).await;
        assert_eq!(reply["status"], "ok", "join {topic}: {reply}");
        jr
    }
}

/// A unique topic name for one test.
pub fn topic(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}
