//! The chat's realtime topics and the broadcast events they carry
//! (`docs/api.md`, "Realtime events").
//!
//! A session has two channels. `chat:<session>` carries the server's events
//! and presence: clients may only track presence there, so its broadcasts
//! all come from the database. `typing:<session>` carries the clients'
//! typing broadcasts, which are kept off the chat topic because Realtime
//! authorizes broadcasts per topic, not per event name.
//!
//! ```
//! use serde_json::json;
//! use uuid::Uuid;
//! use workflow_chat::chat::events::{chat_topic, typing_topic, ChatEvent, Typing, TYPING_EVENT};
//!
//! let session = Uuid::nil();
//! assert_eq!(chat_topic(session), "chat:00000000-0000-0000-0000-000000000000");
//! assert_eq!(typing_topic(session), "typing:00000000-0000-0000-0000-000000000000");
//! let typing = Typing::parse(TYPING_EVENT, &json!({"account_id": session, "typing": true}));
//! assert!(matches!(typing, Ok(t) if t.typing));
//! // Typing is not a chat-topic event.
//! assert!(ChatEvent::parse(TYPING_EVENT, &json!({"account_id": session, "typing": true})).is_err());
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::types::{Message, ReadState, Session};
use crate::supabase::realtime::ChannelConfig;

/// Topic of a session's channel.
pub fn chat_topic(session_id: Uuid) -> String {
    format!("chat:{session_id}")
}

/// Topic of a session's typing channel.
pub fn typing_topic(session_id: Uuid) -> String {
    format!("typing:{session_id}")
}

/// Topic of a workflow's channel.
pub fn workflow_topic(workflow_id: Uuid) -> String {
    format!("workflow:{workflow_id}")
}

/// How to join a session's channel (server events and presence): private,
/// with presence keyed by the account id.
pub fn chat_channel(session_id: Uuid, account_id: Uuid) -> ChannelConfig {
    ChannelConfig::private(chat_topic(session_id)).with_presence_key(account_id.to_string())
}

/// How to join a session's typing channel: private, broadcasts only.
/// Viewers may join it to see who types; members may also send
/// [`TYPING_EVENT`] there.
pub fn typing_channel(session_id: Uuid) -> ChannelConfig {
    ChannelConfig::private(typing_topic(session_id))
}

/// How to join a workflow's channel.
pub fn workflow_channel(workflow_id: Uuid) -> ChannelConfig {
    ChannelConfig::private(workflow_topic(workflow_id))
}

/// Name of the client typing broadcast on `typing:<session>`.
pub const TYPING_EVENT: &str = "typing";

/// A typing broadcast. Realtime does not say who sent a broadcast, so
/// `account_id` is the sender's claim: receivers only believe it for an
/// account present on the session's chat channel (see
/// [`TypingIndicators`](super::presence::TypingIndicators)) and take the
/// name from there, never from the payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    /// Who says they are typing.
    pub account_id: Uuid,
    /// Started (true) or stopped (false).
    pub typing: bool,
}

impl Typing {
    /// Reads a broadcast received on a session's typing channel.
    pub fn parse(event: &str, value: &Value) -> Result<Typing, EventError> {
        match event {
            TYPING_EVENT => payload(event, value),
            other => Err(EventError::Unknown(other.to_owned())),
        }
    }
}

/// What this client tracks as presence on a session's channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceInfo {
    /// Who.
    pub account_id: Uuid,
    /// Their name.
    pub display_name: String,
    /// Since when (ISO-8601).
    pub online_at: String,
}

/// An event on `chat:<session id>`.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    /// A new message.
    MessageCreated(Message),
    /// An edit or reaction change.
    MessageUpdated(Message),
    /// A deletion (the deleted shape).
    MessageDeleted(Message),
    /// Someone's read position moved.
    ReadUpdated(ReadState),
    /// The session was renamed, changed or (un)archived.
    SessionUpdated(Session),
}

/// An event on `workflow:<workflow id>`.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkflowEvent {
    /// A session was created.
    SessionCreated(Session),
    /// A session changed or got a new last message.
    SessionUpdated(Session),
}

/// A broadcast that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventError {
    /// An event name this client does not know (newer server); ignorable.
    Unknown(String),
    /// A known event whose payload has the wrong shape.
    Payload {
        /// The event.
        event: String,
        /// What serde said.
        error: String,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Unknown(event) => write!(f, "unknown event {event:?}"),
            EventError::Payload { event, error } => write!(f, "malformed {event} payload: {error}"),
        }
    }
}

impl std::error::Error for EventError {}

fn payload<T: serde::de::DeserializeOwned>(event: &str, value: &Value) -> Result<T, EventError> {
    T::deserialize(value).map_err(|e| EventError::Payload {
        event: event.to_owned(),
        error: e.to_string(),
    })
}

impl ChatEvent {
    /// Reads a broadcast received on a session's channel.
    pub fn parse(event: &str, value: &Value) -> Result<ChatEvent, EventError> {
        Ok(match event {
            "message_created" => ChatEvent::MessageCreated(payload(event, value)?),
            "message_updated" => ChatEvent::MessageUpdated(payload(event, value)?),
            "message_deleted" => ChatEvent::MessageDeleted(payload(event, value)?),
            "read_updated" => ChatEvent::ReadUpdated(payload(event, value)?),
            "session_updated" => ChatEvent::SessionUpdated(payload(event, value)?),
            other => return Err(EventError::Unknown(other.to_owned())),
        })
    }
}

impl WorkflowEvent {
    /// Reads a broadcast received on a workflow's channel.
    pub fn parse(event: &str, value: &Value) -> Result<WorkflowEvent, EventError> {
        Ok(match event {
            "session_created" => WorkflowEvent::SessionCreated(payload(event, value)?),
            "session_updated" => WorkflowEvent::SessionUpdated(payload(event, value)?),
            other => return Err(EventError::Unknown(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::types::tests::{message_json, session_json, uuid};
    use serde_json::json;

    #[test]
    fn parses_every_documented_event() {
        let m = message_json(3, uuid(9), "x");
        assert!(
            matches!(ChatEvent::parse("message_created", &m), Ok(ChatEvent::MessageCreated(x)) if x.seq == 3)
        );
        assert!(matches!(
            ChatEvent::parse("message_updated", &m),
            Ok(ChatEvent::MessageUpdated(_))
        ));
        assert!(matches!(
            ChatEvent::parse("message_deleted", &m),
            Ok(ChatEvent::MessageDeleted(_))
        ));
        let read = json!({"session_id": uuid(1), "account_id": uuid(3), "display_name": "Ada",
                          "last_read_seq": 4, "read_at": "t", "id": uuid(77)});
        assert!(
            matches!(ChatEvent::parse("read_updated", &read), Ok(ChatEvent::ReadUpdated(r)) if r.last_read_seq == 4)
        );
        let s = session_json(uuid(1), 2, "t");
        assert!(matches!(
            ChatEvent::parse("session_updated", &s),
            Ok(ChatEvent::SessionUpdated(_))
        ));
        assert!(matches!(
            WorkflowEvent::parse("session_created", &s),
            Ok(WorkflowEvent::SessionCreated(_))
        ));
        assert!(matches!(
            WorkflowEvent::parse("session_updated", &s),
            Ok(WorkflowEvent::SessionUpdated(_))
        ));
    }

    #[test]
    fn unknown_and_malformed_events() {
        assert_eq!(
            ChatEvent::parse("something_new", &json!({})),
            Err(EventError::Unknown("something_new".into()))
        );
        assert!(matches!(
            ChatEvent::parse("message_created", &json!({"seq": "x"})),
            Err(EventError::Payload { .. })
        ));
        assert!(matches!(
            WorkflowEvent::parse("message_created", &json!({})),
            Err(EventError::Unknown(_))
        ));
    }

    #[test]
    fn channel_configs() {
        let c = chat_channel(uuid(1), uuid(2));
        assert!(c.private);
        assert_eq!(
            c.presence_key.as_deref(),
            Some(uuid(2).to_string().as_str())
        );
        assert_eq!(c.full_topic(), format!("realtime:chat:{}", uuid(1)));
        assert_eq!(
            workflow_channel(uuid(3)).topic,
            format!("workflow:{}", uuid(3))
        );
        let t = typing_channel(uuid(1));
        assert!(t.private);
        assert_eq!(t.presence_key, None, "the typing topic has no presence");
        assert_eq!(t.full_topic(), format!("realtime:typing:{}", uuid(1)));
    }

    #[test]
    fn typing_is_its_own_topic_and_carries_no_name() {
        let sent = Typing {
            account_id: uuid(5),
            typing: true,
        };
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({"account_id": uuid(5), "typing": true})
        );
        // A name in the payload (older clients, or a forger) is ignored.
        let with_name = json!({"account_id": uuid(5), "display_name": "Admin", "typing": true});
        assert_eq!(Typing::parse(TYPING_EVENT, &with_name), Ok(sent));
        assert_eq!(
            ChatEvent::parse(TYPING_EVENT, &with_name),
            Err(EventError::Unknown("typing".into())),
            "the chat topic carries no typing"
        );
        assert_eq!(
            Typing::parse("message_created", &message_json(1, uuid(9), "x")),
            Err(EventError::Unknown("message_created".into())),
            "server events are not read from the typing topic"
        );
        assert!(matches!(
            Typing::parse(TYPING_EVENT, &json!({"typing": true})),
            Err(EventError::Payload { .. })
        ));
    }
}
