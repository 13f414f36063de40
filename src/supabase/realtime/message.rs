//! What Supabase Realtime frames mean: the pushes a client sends and the
//! messages it receives, as typed values.
//!
//! ```
//! use serde_json::json;
//! use workflow_chat::supabase::realtime::{ChannelConfig, Frame, Inbound, ReplyStatus, Vsn};
//!
//! let config = ChannelConfig::private("chat:42").with_presence_key("u1");
//! let join = config.join_payload(Some("eyJ.tok.en"));
//! assert_eq!(join["config"]["private"], json!(true));
//! assert_eq!(join["config"]["presence"], json!({"key": "u1", "enabled": true}));
//! assert_eq!(join["access_token"], json!("eyJ.tok.en"));
//!
//! let reply = Frame::decode(
//!     r#"{"topic":"realtime:chat:42","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}"#,
//!     Vsn::V1,
//! ).unwrap();
//! assert!(matches!(Inbound::classify(&reply), Inbound::Reply { status: ReplyStatus::Ok, .. }));
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use super::frame::Frame;

/// Topic prefix of every Supabase Realtime channel.
pub const TOPIC_PREFIX: &str = "realtime:";

/// Phoenix event names.
pub mod events {
    /// Join a channel.
    pub const JOIN: &str = "phx_join";
    /// Leave a channel.
    pub const LEAVE: &str = "phx_leave";
    /// Reply to a push.
    pub const REPLY: &str = "phx_reply";
    /// The server closed the channel.
    pub const CLOSE: &str = "phx_close";
    /// The server's channel process crashed.
    pub const ERROR: &str = "phx_error";
    /// Socket keep-alive on topic `phoenix`.
    pub const HEARTBEAT: &str = "heartbeat";
    /// New token for a joined channel.
    pub const ACCESS_TOKEN: &str = "access_token";
    /// Broadcast message.
    pub const BROADCAST: &str = "broadcast";
    /// Presence track/untrack push.
    pub const PRESENCE: &str = "presence";
    /// Full presence state after a join.
    pub const PRESENCE_STATE: &str = "presence_state";
    /// Presence joins and leaves.
    pub const PRESENCE_DIFF: &str = "presence_diff";
    /// Server notices (subscription status, shutdown reasons).
    pub const SYSTEM: &str = "system";
}

/// Topic of socket-level messages (heartbeats).
pub const PHOENIX_TOPIC: &str = "phoenix";

/// How a channel is joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Sub-topic without the `realtime:` prefix, e.g. `chat:<uuid>`.
    pub topic: String,
    /// Private channels are authorized by RLS on `realtime.messages`.
    pub private: bool,
    /// Receive one's own broadcasts too.
    pub broadcast_self: bool,
    /// Ask the server to acknowledge each broadcast.
    pub broadcast_ack: bool,
    /// Presence key; `Some` enables presence on the channel.
    pub presence_key: Option<String>,
}

impl ChannelConfig {
    /// A public channel with default options.
    pub fn public(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            private: false,
            broadcast_self: false,
            broadcast_ack: false,
            presence_key: None,
        }
    }

    /// A private channel (RLS-authorized) with default options.
    pub fn private(topic: impl Into<String>) -> Self {
        Self {
            private: true,
            ..Self::public(topic)
        }
    }

    /// Enables presence under `key` (usually the account id).
    pub fn with_presence_key(mut self, key: impl Into<String>) -> Self {
        self.presence_key = Some(key.into());
        self
    }

    /// Sets broadcast `self` (receive own messages).
    pub fn with_broadcast_self(mut self, on: bool) -> Self {
        self.broadcast_self = on;
        self
    }

    /// Sets broadcast `ack` (server confirms each broadcast).
    pub fn with_broadcast_ack(mut self, on: bool) -> Self {
        self.broadcast_ack = on;
        self
    }

    /// The full Phoenix topic, `realtime:<topic>`.
    pub fn full_topic(&self) -> String {
        format!("{TOPIC_PREFIX}{}", self.topic)
    }

    /// Payload of `phx_join`.
    pub fn join_payload(&self, access_token: Option<&str>) -> Value {
        let mut payload = json!({
            "config": {
                "broadcast": {"ack": self.broadcast_ack, "self": self.broadcast_self},
                "presence": {
                    "key": self.presence_key.as_deref().unwrap_or(""),
                    "enabled": self.presence_key.is_some(),
                },
                "postgres_changes": [],
                "private": self.private,
            }
        });
        if let Some(token) = access_token {
            payload["access_token"] = Value::from(token);
        }
        payload
    }
}

/// Payload of a broadcast push.
pub fn broadcast_payload(event: &str, payload: Value) -> Value {
    json!({"type": "broadcast", "event": event, "payload": payload})
}

/// Payload of a presence track push.
pub fn track_payload(state: Value) -> Value {
    json!({"type": "presence", "event": "track", "payload": state})
}

/// Payload of a presence untrack push.
pub fn untrack_payload() -> Value {
    json!({"type": "presence", "event": "untrack"})
}

/// Payload of an access token update.
pub fn access_token_payload(token: &str) -> Value {
    json!({ "access_token": token })
}

/// Status of a `phx_reply`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyStatus {
    /// `ok`.
    Ok,
    /// `error`.
    Error,
    /// Any other status text.
    Other(String),
}

/// A `system` message: subscription results and shutdown reasons.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SystemMessage {
    /// `postgres_changes` or `system`.
    #[serde(default)]
    pub extension: String,
    /// `ok` or `error`.
    #[serde(default)]
    pub status: String,
    /// Human-readable text.
    #[serde(default)]
    pub message: String,
    /// Sub-topic.
    #[serde(default)]
    pub channel: String,
}

/// A received frame, by meaning.
#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    /// Reply to the push whose `ref` the frame carries.
    Reply {
        /// Reply status.
        status: ReplyStatus,
        /// The `response` object.
        response: Value,
    },
    /// A broadcast from another client or the database.
    Broadcast {
        /// The user event name.
        event: String,
        /// The user payload.
        payload: Value,
        /// `meta` (message id, replay flag) when present.
        meta: Option<Value>,
    },
    /// Full presence state.
    PresenceState(Value),
    /// Presence joins and leaves.
    PresenceDiff(Value),
    /// A `system` message.
    System(SystemMessage),
    /// The server closed the channel.
    Close,
    /// The server's channel process failed.
    Error,
    /// Anything else (e.g. `postgres_changes`, which this client does not use).
    Other,
}

impl Inbound {
    /// Reads the meaning of a frame.
    pub fn classify(frame: &Frame) -> Inbound {
        let p = &frame.payload;
        match frame.event.as_str() {
            events::REPLY => Inbound::Reply {
                status: match p.get("status").and_then(Value::as_str) {
                    Some("ok") => ReplyStatus::Ok,
                    Some("error") => ReplyStatus::Error,
                    other => ReplyStatus::Other(other.unwrap_or_default().to_owned()),
                },
                response: p.get("response").cloned().unwrap_or(Value::Null),
            },
            events::BROADCAST => Inbound::Broadcast {
                event: p
                    .get("event")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                payload: p.get("payload").cloned().unwrap_or(Value::Null),
                meta: p.get("meta").cloned(),
            },
            events::PRESENCE_STATE => Inbound::PresenceState(p.clone()),
            events::PRESENCE_DIFF => Inbound::PresenceDiff(p.clone()),
            events::SYSTEM => {
                Inbound::System(serde_json::from_value(p.clone()).unwrap_or_default())
            }
            events::CLOSE => Inbound::Close,
            events::ERROR => Inbound::Error,
            _ => Inbound::Other,
        }
    }
}

/// Text of an error reply's `response` for people: the `reason` when there
/// is one (`"Unauthorized: You do not have permissions..."`), else the JSON.
pub fn reply_reason(response: &Value) -> String {
    match response.get("reason").and_then(Value::as_str) {
        Some(reason) => reason.to_owned(),
        None => response.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::realtime::Vsn;

    fn v2(text: &str) -> Inbound {
        Inbound::classify(&Frame::decode(text, Vsn::V2).unwrap())
    }

    #[test]
    fn join_payload_matches_the_reference_shape() {
        let c = ChannelConfig::private("room:42")
            .with_broadcast_ack(true)
            .with_presence_key("u1");
        assert_eq!(c.full_topic(), "realtime:room:42");
        assert_eq!(
            c.join_payload(Some("eyJ")),
            json!({"config":{"broadcast":{"ack":true,"self":false},"presence":{"key":"u1","enabled":true},"postgres_changes":[],"private":true},"access_token":"eyJ"})
        );
        let public = ChannelConfig::public("lobby").join_payload(None);
        assert_eq!(
            public["config"]["presence"],
            json!({"key":"","enabled":false})
        );
        assert!(public.get("access_token").is_none());
    }

    #[test]
    fn classifies_reference_frames() {
        assert_eq!(
            v2(
                r#"["1","1","realtime:room:42","phx_reply",{"status":"error","response":{"reason":"Unauthorized: You do not have permissions to read from this Channel topic: room:42"}}]"#
            ),
            Inbound::Reply {
                status: ReplyStatus::Error,
                response: json!({"reason":"Unauthorized: You do not have permissions to read from this Channel topic: room:42"}),
            }
        );
        assert_eq!(
            v2(
                r#"[null,null,"realtime:room:42","broadcast",{"type":"broadcast","event":"new_message","payload":{"text":"hi"},"meta":{"id":"m1"}}]"#
            ),
            Inbound::Broadcast {
                event: "new_message".into(),
                payload: json!({"text":"hi"}),
                meta: Some(json!({"id":"m1"})),
            }
        );
        let system = v2(
            r#"["1",null,"realtime:room:42","system",{"extension":"system","status":"error","message":"Token has expired 3 seconds ago","channel":"room:42"}]"#,
        );
        let Inbound::System(s) = system else { panic!() };
        assert_eq!(
            (s.status.as_str(), s.message.as_str()),
            ("error", "Token has expired 3 seconds ago")
        );
        assert_eq!(
            v2(r#"["1","1","realtime:room:42","phx_close",{}]"#),
            Inbound::Close
        );
        assert_eq!(
            v2(r#"["1","1","realtime:room:42","phx_error",{}]"#),
            Inbound::Error
        );
        assert!(matches!(
            v2(
                r#"["1",null,"realtime:room:42","presence_state",{"u1":{"metas":[{"phx_ref":"F"}]}}]"#
            ),
            Inbound::PresenceState(_)
        ));
        assert_eq!(
            v2(r#"[null,null,"t","postgres_changes",{}]"#),
            Inbound::Other
        );
    }

    #[test]
    fn push_payloads() {
        assert_eq!(
            broadcast_payload("typing", json!({"on":true})),
            json!({"type":"broadcast","event":"typing","payload":{"on":true}})
        );
        assert_eq!(track_payload(json!({"a":1}))["event"], "track");
        assert_eq!(
            untrack_payload(),
            json!({"type":"presence","event":"untrack"})
        );
        assert_eq!(access_token_payload("t"), json!({"access_token":"t"}));
        assert_eq!(reply_reason(&json!({"reason":"x"})), "x");
        assert_eq!(reply_reason(&json!({})), "{}");
    }
}
