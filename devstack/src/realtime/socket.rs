//! One websocket: the handshake, then a reader task that runs the Phoenix
//! channel logic for every channel the socket joins and a writer task that
//! drains the socket's bounded send queue. Whichever ends first ends both;
//! then every channel leaves its group (presence leaves reach the others).

use super::auth::{AuthContext, Reads};
use super::frame::{decode_binary, decode_text, InPayload, Inbound, Outbound, Vsn};
use super::hub::{Broadcast, ConnLink, GroupKey, Member};
use super::join::{self, JoinConfig, TopicError};
use super::presence::{CallLimit, OwnerId};
use super::token::{self, Claims};
use super::Realtime;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// WebSocket close code for a frame that could not be decoded.
const CLOSE_INVALID: u16 = 1007;
/// WebSocket close code for the idle timeout (Phoenix closes normally).
const CLOSE_NORMAL: u16 = 1000;

/// Runs a socket whose handshake succeeded until it closes.
pub async fn serve(
    rt: Arc<Realtime>,
    ws: WebSocket,
    vsn: Vsn,
    socket_token: String,
    headers: Value,
) {
    let (sink, stream) = ws.split();
    let (tx, rx) = mpsc::channel(rt.config.send_queue);
    let link = Arc::new(ConnLink::new(vsn, tx));
    let mut writer = tokio::spawn(write_loop(sink, rx));
    let session = Session {
        rt: rt.clone(),
        link: link.clone(),
        socket_token,
        headers,
        channels: HashMap::new(),
    };
    let mut reader = tokio::spawn(session.run(stream));
    tokio::select! {
        _ = &mut writer => reader.abort(),
        _ = &mut reader => {
            // Give the writer a moment to flush what the reader queued last
            // (replies, the close frame), then stop it.
            if tokio::time::timeout(Duration::from_secs(2), &mut writer).await.is_err() {
                writer.abort();
            }
        }
        _ = link.killed() => {
            reader.abort();
            writer.abort();
        }
        _ = rt.stopping() => {
            reader.abort();
            let going_away = CloseFrame { code: 1001, reason: "server shutting down".into() };
            link.send_wait(Message::Close(Some(going_away))).await;
            if tokio::time::timeout(Duration::from_secs(1), &mut writer).await.is_err() {
                writer.abort();
            }
        }
    }
}

async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Message>,
) {
    while let Some(frame) = rx.recv().await {
        let closing = matches!(frame, Message::Close(_));
        if sink.send(frame).await.is_err() || closing {
            break;
        }
    }
}

/// What the socket knows about one joined channel.
struct Channel {
    owner: OwnerId,
    join_ref: Option<String>,
    key: GroupKey,
    config: JoinConfig,
    token: String,
    claims: Claims,
    broadcast_read: bool,
    presence_read: Option<bool>,
    broadcast_write: Option<bool>,
    presence_write: Option<bool>,
    presence_key: String,
    presence_enabled: bool,
    tracked: Option<Map<String, Value>>,
    presence_limit: CallLimit,
    recheck_at: Instant,
}

impl Channel {
    fn member_reads(&self) -> (bool, bool) {
        if self.key.private {
            (self.broadcast_read, self.presence_read == Some(true))
        } else {
            (true, true)
        }
    }
}

struct Session {
    rt: Arc<Realtime>,
    link: Arc<ConnLink>,
    socket_token: String,
    headers: Value,
    channels: HashMap<String, Channel>,
}

impl Drop for Session {
    fn drop(&mut self) {
        for ch in self.channels.values() {
            self.rt.hub.unsubscribe(&ch.key, ch.owner);
        }
    }
}

/// Why the reader stopped.
enum End {
    Closed,
    Close(u16, String),
}

impl Session {
    async fn run(mut self, mut stream: futures_util::stream::SplitStream<WebSocket>) {
        let idle = self.rt.config.idle_timeout;
        let mut idle_deadline = Instant::now() + idle;
        let end = loop {
            let recheck = self
                .channels
                .values()
                .map(|c| c.recheck_at)
                .min()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                msg = stream.next() => {
                    idle_deadline = Instant::now() + idle;
                    match msg {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break End::Closed,
                        Some(Ok(Message::Text(t))) => {
                            match decode_text(self.link.vsn, t.as_str()) {
                                Ok(m) => self.handle(m).await,
                                Err(e) => break End::Close(CLOSE_INVALID, e.to_string()),
                            }
                        }
                        Some(Ok(Message::Binary(b))) => {
                            match decode_binary(self.link.vsn, &b) {
                                Ok(m) => self.handle(m).await,
                                Err(e) => break End::Close(CLOSE_INVALID, e.to_string()),
                            }
                        }
                        Some(Ok(_)) => {}
                    }
                }
                _ = tokio::time::sleep_until(idle_deadline) => {
                    break End::Close(CLOSE_NORMAL, "idle timeout".into());
                }
                _ = tokio::time::sleep_until(recheck) => self.recheck_tokens(),
            }
            if self.link.is_dead() {
                break End::Closed;
            }
        };
        if let End::Close(code, reason) = end {
            let frame = CloseFrame {
                code,
                reason: reason.chars().take(120).collect::<String>().into(),
            };
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                self.link.send_wait(Message::Close(Some(frame))),
            )
            .await;
        }
    }

    fn reply(&self, m: &Inbound, ok: bool, response: Value) {
        self.link.send_json(&Outbound::reply(
            m.join_ref.clone(),
            m.ref_.clone(),
            &m.topic,
            ok,
            response,
        ));
    }

    fn reason(&self, m: &Inbound, reason: &str) {
        self.reply(m, false, json!({ "reason": reason }));
    }

    async fn handle(&mut self, m: Inbound) {
        if m.topic == "phoenix" && m.event == "heartbeat" {
            return self.reply(&m, true, json!({}));
        }
        if m.event == "phx_join" {
            return self.join(m).await;
        }
        let joined = self
            .channels
            .get(&m.topic)
            .is_some_and(|c| m.join_ref.is_none() || m.join_ref == c.join_ref);
        if !joined {
            // Phoenix answers a leave of an unknown channel with ok, and any
            // other message with "unmatched topic".
            if m.event == "phx_leave" {
                return self.reply(&m, true, json!({}));
            }
            return self.reason(&m, "unmatched topic");
        }
        match m.event.as_str() {
            "phx_leave" => {
                self.reply(&m, true, json!({}));
                self.close_channel(&m.topic);
            }
            "broadcast" => self.broadcast(m).await,
            "presence" => self.presence(m).await,
            "access_token" => self.access_token(m).await,
            // Realtime ignores any other event on a joined channel.
            _ => {}
        }
    }

    /// Sends `phx_close` for a channel and forgets it.
    fn close_channel(&mut self, topic: &str) {
        if let Some(ch) = self.channels.remove(topic) {
            self.rt.hub.unsubscribe(&ch.key, ch.owner);
            let close = Outbound {
                join_ref: ch.join_ref.clone(),
                ref_: ch.join_ref.clone(),
                topic: topic.to_string(),
                event: "phx_close".into(),
                payload: json!({}),
            };
            self.link.send_json(&close);
        }
    }

    /// Realtime's channel shutdown: a `system` error, then `phx_close`.
    fn shutdown(&mut self, topic: &str, message: &str) {
        if let Some(ch) = self.channels.get(topic) {
            let payload = json!({
                "extension": "system",
                "status": "error",
                "message": message,
                "channel": ch.key.name,
            });
            self.link.send_json(&Outbound::push(
                ch.join_ref.clone(),
                topic,
                "system",
                payload,
            ));
        }
        self.close_channel(topic);
    }

    fn recheck_at(&self, claims: &Claims) -> Instant {
        let left = (token::expiry(claims) - crate::clock::unix_secs()).max(0) as u64;
        Instant::now() + self.rt.config.token_recheck.min(Duration::from_secs(left))
    }

    fn recheck_tokens(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, c)| c.recheck_at <= now)
            .map(|(t, _)| t.clone())
            .collect();
        for topic in due {
            let verdict = self.rt.verify(&self.channels[&topic].token);
            match verdict {
                Ok(claims) => {
                    let at = self.recheck_at(&claims);
                    if let Some(ch) = self.channels.get_mut(&topic) {
                        ch.recheck_at = at;
                    }
                }
                Err(e) => self.shutdown(&topic, &e.shutdown_message()),
            }
        }
    }

    async fn join(&mut self, m: Inbound) {
        // A second join of a joined topic replaces the first instance.
        if self.channels.contains_key(&m.topic) {
            self.close_channel(&m.topic.clone());
        }
        let sub = match join::subtopic(&m.topic) {
            Ok(s) => s.to_string(),
            Err(TopicError::Unmatched) => return self.reason(&m, "unmatched topic"),
            Err(TopicError::NameRequired) => {
                return self.reason(&m, "TopicNameRequired: You must provide a topic name")
            }
        };
        let payload = m.json();
        let config = JoinConfig::parse(&payload);
        if self.channels.len() >= self.rt.config.max_channels {
            return self.reason(&m, "ChannelRateLimitReached: Too many channels");
        }
        let token = config.token(&self.socket_token).to_string();
        let claims = match self.rt.verify(&token) {
            Ok(c) => c,
            Err(e) => return self.reason(&m, &e.join_reason()),
        };
        let private = config.private;
        let mut channel = Channel {
            owner: self.rt.next_owner(),
            join_ref: m.join_ref.clone().or_else(|| m.ref_.clone()),
            key: GroupKey {
                private,
                name: sub.clone(),
            },
            presence_key: config
                .presence_key
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            presence_enabled: config.presence_enabled,
            token,
            recheck_at: self.recheck_at(&claims),
            claims,
            broadcast_read: true,
            presence_read: None,
            broadcast_write: None,
            presence_write: None,
            tracked: None,
            presence_limit: CallLimit::new(
                self.rt.config.presence_calls,
                self.rt.config.presence_window,
            ),
            config,
        };
        let unauthorized = format!(
            "Unauthorized: You do not have permissions to read from this Channel topic: {sub}"
        );
        if private {
            match self.read_check(&channel, channel.presence_enabled).await {
                Ok(r) if r.broadcast || r.presence == Some(true) => {
                    channel.broadcast_read = r.broadcast;
                    channel.presence_read = r.presence;
                }
                Ok(_) | Err(super::auth::AuthError::Policy(_)) => return self.reason(&m, &unauthorized),
                Err(super::auth::AuthError::Unavailable(_)) => {
                    return self.reason(
                        &m,
                        "UnableToConnectToProject: Realtime was unable to connect to the project database",
                    )
                }
            }
        }
        let mut replay = Vec::new();
        if let Some(params) = channel.config.replay.clone() {
            if !private {
                return self.reason(
                    &m,
                    "UnableToReplayMessages: Replay is not allowed for public channels",
                );
            }
            if !channel.broadcast_read {
                return self.reason(&m, &unauthorized);
            }
            match self.rt.replay(&sub, &params).await {
                Ok(rows) => replay = rows,
                Err(ReplayError::Invalid) => {
                    return self.reason(&m, "UnableToReplayMessages: Replay params are not valid")
                }
                Err(ReplayError::Failed) => {
                    return self.reason(
                        &m,
                        "UnableToReplayMessages: Realtime was unable to replay messages",
                    )
                }
            }
        }

        let (broadcast_read, presence_read) = channel.member_reads();
        self.rt.hub.subscribe(
            &channel.key,
            channel.owner,
            Member {
                conn: self.link.clone(),
                broadcast_read,
                presence_read,
            },
        );
        let bindings = channel.config.bindings(&sub);
        self.reply(
            &m,
            true,
            json!({ "postgres_changes": join::bindings_reply(&bindings) }),
        );
        if channel.presence_enabled && presence_read {
            let state = self.rt.hub.presence_state(&channel.key);
            self.link.send_json(&Outbound::push(
                channel.join_ref.clone(),
                &m.topic,
                "presence_state",
                state,
            ));
        }
        for payload in replay {
            self.link.send_json(&Outbound::push(
                channel.join_ref.clone(),
                &m.topic,
                "broadcast",
                payload,
            ));
        }
        if let Some(first) = bindings.first() {
            // postgres_changes is not provided by devstack: answer as Realtime
            // does when it cannot subscribe a binding.
            let payload = json!({
                "extension": "postgres_changes",
                "status": "error",
                "message": join::postgres_changes_unavailable(first),
                "channel": sub,
            });
            self.link.send_json(&Outbound::push(
                channel.join_ref.clone(),
                &m.topic,
                "system",
                payload,
            ));
        }
        self.channels.insert(m.topic.clone(), channel);
    }

    async fn read_check(
        &self,
        ch: &Channel,
        presence: bool,
    ) -> Result<Reads, super::auth::AuthError> {
        let ctx = AuthContext {
            topic: &ch.key.name,
            claims: &ch.claims,
            headers: &self.headers,
        };
        self.rt.auth.reads(&ctx, presence).await
    }

    /// Resolves the lazily checked write permissions of a private channel.
    async fn ensure_writes(&mut self, topic: &str) -> bool {
        let Some(ch) = self.channels.get(topic) else {
            return false;
        };
        if !ch.key.private || ch.broadcast_write.is_some() {
            return true;
        }
        let ctx = AuthContext {
            topic: &ch.key.name,
            claims: &ch.claims,
            headers: &self.headers,
        };
        let result = self.rt.auth.writes(&ctx).await;
        let Some(ch) = self.channels.get_mut(topic) else {
            return false;
        };
        match result {
            Ok(w) => {
                ch.broadcast_write = Some(w.broadcast);
                ch.presence_write = Some(w.presence);
                true
            }
            Err(e) => {
                eprintln!("devstack realtime: write check on {}: {e}", ch.key.name);
                false
            }
        }
    }

    async fn broadcast(&mut self, m: Inbound) {
        if !self.ensure_writes(&m.topic).await {
            return;
        }
        let ch = &self.channels[&m.topic];
        if ch.key.private && ch.broadcast_write != Some(true) {
            // Refused writes are dropped silently, even with ack.
            return;
        }
        let (msg, size) = match m.payload.clone() {
            InPayload::Json(v) => {
                let size = v.to_string().len();
                (Broadcast::Json(v), size)
            }
            InPayload::User(ub) => {
                let size = ub.payload.len();
                (Broadcast::User(ub), size)
            }
            InPayload::Raw(_) => return,
        };
        let ack = ch.config.ack;
        if size > self.rt.config.max_payload_bytes {
            if ack {
                self.reply(&m, false, Value::String("payload_size_exceeded".into()));
            }
            return;
        }
        let except = (!ch.config.self_broadcast).then_some(ch.owner);
        self.rt.hub.broadcast(&ch.key, &msg, except);
        if ack {
            self.reply(&m, true, json!({}));
        }
    }

    async fn presence(&mut self, m: Inbound) {
        let payload = m.json();
        let Some(event) = payload.get("event").and_then(Value::as_str) else {
            // Realtime accepts and ignores a presence push without an event.
            return self.reply(&m, true, json!({}));
        };
        let event = event.to_ascii_lowercase();
        let topic = m.topic.clone();
        {
            let ch = self.channels.get_mut(&topic).expect("joined");
            if !ch.presence_limit.allow(std::time::Instant::now()) {
                return self.shutdown(&topic, "Client presence rate limit exceeded");
            }
        }
        match event.as_str() {
            "track" => {
                self.track(&m, &topic, payload.get("payload").cloned())
                    .await
            }
            "untrack" => {
                // The reply goes first: in Realtime the diff comes later,
                // from the presence tracker.
                self.reply(&m, true, json!({}));
                let ch = self.channels.get_mut(&topic).expect("joined");
                ch.tracked = None;
                self.rt.hub.untrack(&ch.key, ch.owner);
            }
            _ => self.reply(&m, false, json!({})),
        }
    }

    async fn track(&mut self, m: &Inbound, topic: &str, state: Option<Value>) {
        let private = self.channels[topic].key.private;
        if private && self.channels[topic].presence_write.is_none() {
            // Presence enabled by this track: authorize reading it now if the
            // join did not, then writing it.
            if self.channels[topic].presence_read.is_none() {
                let ch = &self.channels[topic];
                match self.read_check(ch, true).await {
                    Ok(r) => {
                        let ch = self.channels.get_mut(topic).expect("joined");
                        ch.presence_read = r.presence;
                    }
                    Err(_) => return self.reply(m, false, json!({})),
                }
            }
            if !self.ensure_writes(topic).await {
                return self.reply(m, false, json!({}));
            }
        }
        let ch = self.channels.get_mut(topic).expect("joined");
        if private && ch.presence_write != Some(true) {
            return self.reply(m, false, json!({}));
        }
        let state = match state.unwrap_or_else(|| json!({})) {
            Value::Object(o) => o,
            _ => return self.reason(m, "Presence track payload must be a map"),
        };
        if ch.tracked.as_ref() == Some(&state) {
            return self.reply(m, true, json!({}));
        }
        if Value::Object(state.clone()).to_string().len() > self.rt.config.max_payload_bytes {
            return self.shutdown(topic, "Track message size exceeded");
        }
        ch.presence_enabled = true;
        ch.tracked = Some(state.clone());
        let (broadcast_read, presence_read) = ch.member_reads();
        self.rt
            .hub
            .set_reads(&ch.key, ch.owner, broadcast_read, presence_read);
        let (key, owner, presence_key) = (ch.key.clone(), ch.owner, ch.presence_key.clone());
        self.reply(m, true, json!({}));
        self.rt.hub.track(&key, owner, &presence_key, state);
    }

    async fn access_token(&mut self, m: Inbound) {
        let payload = m.json();
        let Some(new_token) = payload.get("access_token").and_then(Value::as_str) else {
            return;
        };
        let topic = m.topic.clone();
        let ch = &self.channels[&topic];
        if new_token.starts_with("sb_") || new_token == ch.token {
            return;
        }
        let claims = match self.rt.verify(new_token) {
            Ok(c) => c,
            Err(e) => return self.shutdown(&topic, &e.shutdown_message()),
        };
        let recheck_at = self.recheck_at(&claims);
        let (prev_b, prev_p) = (ch.broadcast_read, ch.presence_read);
        let private = ch.key.private;
        let name = ch.key.name.clone();
        {
            let ch = self.channels.get_mut(&topic).expect("joined");
            ch.token = new_token.to_string();
            ch.claims = claims;
            ch.recheck_at = recheck_at;
            ch.broadcast_write = None;
            ch.presence_write = None;
        }
        if !private {
            return;
        }
        let presence = self.channels[&topic].presence_enabled;
        let reads = match self.read_check(&self.channels[&topic], presence).await {
            Ok(r) => r,
            Err(super::auth::AuthError::Policy(_)) => Reads {
                broadcast: false,
                presence: Some(false),
            },
            Err(super::auth::AuthError::Unavailable(_)) => {
                return self.shutdown(
                    &topic,
                    "Realtime was unable to connect to the project database",
                )
            }
        };
        if !reads.broadcast && reads.presence != Some(true) {
            return self.shutdown(
                &topic,
                &format!("You do not have permissions to read from this Channel topic: {name}"),
            );
        }
        let revoked =
            (prev_b && !reads.broadcast) || (prev_p == Some(true) && reads.presence == Some(false));
        if revoked {
            return self.shutdown(
                &topic,
                &format!("You no longer have permission to read from this Channel topic: {name}"),
            );
        }
        let ch = self.channels.get_mut(&topic).expect("joined");
        ch.broadcast_read = reads.broadcast;
        ch.presence_read = reads.presence.or(ch.presence_read);
        let (b, p) = ch.member_reads();
        self.rt.hub.set_reads(&ch.key, ch.owner, b, p);
    }
}

/// Why a replay request failed.
#[derive(Debug)]
pub enum ReplayError {
    /// `since`/`limit` are not numbers.
    Invalid,
    /// The query failed.
    Failed,
}
