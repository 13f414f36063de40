//! The JSON shapes of the SQL API (`docs/api.md`, "JSON shapes"), as Rust
//! types. Identifiers are UUIDs; timestamps stay ISO-8601 strings as the
//! server sends them (the views only format them).
//!
//! ```
//! use workflow_chat::chat::types::{Message, MessageKind};
//! let message: Message = serde_json::from_str(r#"{
//!   "id": "6b1f7a52-3f0e-4c7e-9d8b-1a2b3c4d5e6f", "session_id": "6b1f7a52-3f0e-4c7e-9d8b-1a2b3c4d5e60",
//!   "workflow_id": "6b1f7a52-3f0e-4c7e-9d8b-1a2b3c4d5e61", "seq": 42,
//!   "client_id": "6b1f7a52-3f0e-4c7e-9d8b-1a2b3c4d5e62", "kind": "text",
//!   "author": {"id": "6b1f7a52-3f0e-4c7e-9d8b-1a2b3c4d5e63", "display_name": "Ada", "avatar_url": null},
//!   "body": "Hello", "attachment": null, "reply_to": null, "reactions": [],
//!   "created_at": "2026-01-31T12:00:00+00:00", "edited_at": null, "deleted_at": null
//! }"#).unwrap();
//! assert_eq!((message.seq, message.kind), (42, MessageKind::Text));
//! ```

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An ISO-8601 timestamp with time zone, as the server formats it.
pub type Timestamp = String;

/// A token as returned by `wc_register`, `wc_login`, `wc_refresh`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    /// The JWT.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: i64,
    /// Whose token it is.
    pub account: Account,
}

/// An account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Account id (the token's `sub`).
    pub id: Uuid,
    /// Null for accounts created by a host site without an email.
    pub email: Option<String>,
    /// Name shown to others.
    pub display_name: String,
    /// Avatar image URL.
    pub avatar_url: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// How a token was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenOrigin {
    /// `wc_register` or `wc_login`.
    Password,
    /// `wc_refresh`.
    Refresh,
    /// `wc_issue_token` by a host site.
    External,
}

/// One of the caller's tokens (`wc_list_tokens`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id (`jti` claim).
    pub jti: Uuid,
    /// Whether it is the token of this request.
    pub current: bool,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Expiry time.
    pub expires_at: Timestamp,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<Timestamp>,
    /// When revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// Browser that obtained it.
    pub user_agent: Option<String>,
    /// How it was obtained.
    pub origin: TokenOrigin,
}

/// Role on a workflow, weakest first (so `Ord` compares strength).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads.
    Viewer,
    /// Also sends, reacts, creates sessions.
    Member,
    /// Also manages sessions, members and the webhook.
    Admin,
    /// Also manages admins and deletes the workflow.
    Owner,
}

impl Role {
    /// Whether this role may send messages and typing broadcasts.
    pub fn can_write(self) -> bool {
        self >= Role::Member
    }

    /// Whether this role may manage the workflow.
    pub fn can_admin(self) -> bool {
        self >= Role::Admin
    }
}

/// A workflow: a group of chat sessions with members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// The caller's role.
    pub my_role: Role,
    /// Whether a webhook is set.
    pub has_webhook: bool,
    /// The webhook URL (admin+ only).
    pub webhook_url: Option<String>,
    /// Creator.
    pub created_by: Uuid,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A member of a workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Account id.
    pub account_id: Uuid,
    /// Name.
    pub display_name: String,
    /// Avatar.
    pub avatar_url: Option<String>,
    /// Email (admin+ only).
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// When added.
    pub added_at: Timestamp,
}

/// A chat session of a workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// Workflow.
    pub workflow_id: Uuid,
    /// Title.
    pub title: String,
    /// Free JSON object.
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// Creator.
    pub created_by: Uuid,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Archive time, if archived.
    pub archived_at: Option<Timestamp>,
    /// Newest message's `seq` (0 without messages).
    pub last_seq: i64,
    /// Creation or newest message time; lists are ordered by it.
    pub last_activity_at: Timestamp,
    /// Preview of the newest message.
    pub last_message: Option<MessagePreview>,
    /// The caller's read position (absent from realtime payloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_seq: Option<i64>,
    /// The caller's unread count (absent from realtime payloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
}

/// Short form of a message for session lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePreview {
    /// Id.
    pub id: Uuid,
    /// Sequence number.
    pub seq: i64,
    /// Kind.
    pub kind: MessageKind,
    /// Author id.
    pub author_id: Uuid,
    /// Author name.
    pub author_name: String,
    /// First 140 characters.
    pub body: Option<String>,
    /// Attachment name, for files.
    pub file_name: Option<String>,
    /// Time sent.
    pub created_at: Timestamp,
    /// Whether deleted.
    pub deleted: bool,
}

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Text body.
    Text,
    /// Recorded audio attachment, optional caption.
    Audio,
    /// File attachment, optional caption.
    File,
}

/// A message's author.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// Account id.
    pub id: Uuid,
    /// Name.
    pub display_name: String,
    /// Avatar.
    pub avatar_url: Option<String>,
}

/// A stored attachment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Object key in bucket `wc-attachments`.
    pub path: String,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Duration of audio, in milliseconds.
    pub duration_ms: Option<i64>,
}

/// The message replied to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    /// Its id.
    pub id: Uuid,
    /// Its seq.
    pub seq: i64,
    /// Its author's name.
    pub author_name: String,
    /// First 140 characters; null if it was deleted.
    pub preview: Option<String>,
}

/// Reactions with one emoji.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many.
    pub count: i64,
    /// Who, in reaction order.
    pub account_ids: Vec<Uuid>,
}

/// A chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Id.
    pub id: Uuid,
    /// Session.
    pub session_id: Uuid,
    /// Workflow.
    pub workflow_id: Uuid,
    /// Per-session number, gapless and commit-ordered.
    pub seq: i64,
    /// The sender's idempotency key.
    pub client_id: Uuid,
    /// Kind.
    pub kind: MessageKind,
    /// Author.
    pub author: Author,
    /// Text or caption; null when deleted.
    pub body: Option<String>,
    /// Attachment; null when deleted.
    pub attachment: Option<Attachment>,
    /// Replied-to message.
    pub reply_to: Option<ReplyTo>,
    /// Reactions (empty when deleted).
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// Time sent.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Deletion time.
    pub deleted_at: Option<Timestamp>,
}

impl Message {
    /// Whether the message was deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// Someone's read position in a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// Session.
    pub session_id: Uuid,
    /// Reader.
    pub account_id: Uuid,
    /// Reader's name.
    pub display_name: String,
    /// Read up to this seq.
    pub last_read_seq: i64,
    /// When.
    pub read_at: Timestamp,
}

/// State of a webhook delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A request is in flight.
    Sending,
    /// Answered 2xx.
    Delivered,
    /// The webhook was removed or changed first.
    Cancelled,
}

/// One webhook delivery (admin log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Delivery id.
    pub id: Uuid,
    /// Workflow.
    pub workflow_id: Uuid,
    /// Event name, e.g. `message.created`.
    pub event: String,
    /// State.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// Last HTTP status received.
    pub last_status_code: Option<i64>,
    /// Last error text.
    pub last_error: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Delivery time.
    pub delivered_at: Option<Timestamp>,
    /// The body sent.
    pub payload: serde_json::Value,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn uuid(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A message as the API documents it.
    pub(crate) fn message_json(seq: i64, client_id: Uuid, body: &str) -> serde_json::Value {
        json!({
            "id": uuid(1000 + seq as u128), "session_id": uuid(1), "workflow_id": uuid(2),
            "seq": seq, "client_id": client_id, "kind": "text",
            "author": {"id": uuid(3), "display_name": "Ada", "avatar_url": null},
            "body": body, "attachment": null, "reply_to": null,
            "reactions": [{"emoji": "👍", "count": 2, "account_ids": [uuid(3), uuid(4)]}],
            "created_at": "2026-01-31T12:00:00.123456+00:00", "edited_at": null, "deleted_at": null
        })
    }

    pub(crate) fn message(seq: i64, client_id: Uuid, body: &str) -> Message {
        serde_json::from_value(message_json(seq, client_id, body)).unwrap()
    }

    pub(crate) fn session_json(id: Uuid, last_seq: i64, activity: &str) -> serde_json::Value {
        json!({
            "id": id, "workflow_id": uuid(2), "title": "Onboarding", "metadata": {},
            "created_by": uuid(3), "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-01T00:00:00+00:00", "archived_at": null,
            "last_seq": last_seq, "last_activity_at": activity,
            "last_message": if last_seq == 0 { serde_json::Value::Null } else { json!({
                "id": uuid(1000 + last_seq as u128), "seq": last_seq, "kind": "file", "author_id": uuid(3),
                "author_name": "Ada", "body": null, "file_name": "notes.pdf",
                "created_at": activity, "deleted": false
            })},
            "last_read_seq": 0, "unread_count": last_seq
        })
    }

    #[test]
    fn documented_shapes_decode() {
        let m = message(42, uuid(9), "Hello");
        assert_eq!(m.reactions[0].account_ids.len(), 2);
        assert!(!m.is_deleted());
        let s: Session =
            serde_json::from_value(session_json(uuid(5), 42, "2026-01-31T12:00:00+00:00")).unwrap();
        assert_eq!(
            s.last_message.unwrap().file_name.as_deref(),
            Some("notes.pdf")
        );
        assert_eq!(s.unread_count, Some(42));
        // Realtime payloads lack the caller's read fields.
        let mut shared = session_json(uuid(5), 0, "t");
        shared.as_object_mut().unwrap().remove("last_read_seq");
        shared.as_object_mut().unwrap().remove("unread_count");
        let s: Session = serde_json::from_value(shared).unwrap();
        assert_eq!(
            (s.last_read_seq, s.unread_count, s.last_message),
            (None, None, None)
        );

        let grant: TokenGrant = serde_json::from_value(json!({
            "access_token": "eyJ", "token_type": "bearer", "expires_in": 3600, "expires_at": 1767225600,
            "account": {"id": uuid(3), "email": null, "display_name": "Ada", "avatar_url": null, "created_at": "t"}
        })).unwrap();
        assert_eq!(grant.account.email, None);

        let w: Workflow = serde_json::from_value(json!({
            "id": uuid(2), "name": "Support", "description": "", "my_role": "admin",
            "has_webhook": true, "webhook_url": "https://x", "created_by": uuid(3),
            "created_at": "t", "updated_at": "t"
        }))
        .unwrap();
        assert!(w.my_role.can_admin() && w.my_role.can_write());
        assert!(!Role::Viewer.can_write());
        assert!(Role::Owner > Role::Admin);

        let d: WebhookDelivery = serde_json::from_value(json!({
            "id": uuid(7), "workflow_id": uuid(2), "event": "message.created", "status": "cancelled",
            "attempts": 3, "last_status_code": 503, "last_error": "webhook removed",
            "next_attempt_at": null, "created_at": "t", "delivered_at": null, "payload": {}
        })).unwrap();
        assert_eq!(d.status, DeliveryStatus::Cancelled);

        let t: TokenInfo = serde_json::from_value(json!({
            "jti": uuid(8), "current": true, "issued_at": "t", "expires_at": "t",
            "last_used_at": null, "revoked_at": null, "user_agent": "Mozilla/5.0", "origin": "refresh"
        })).unwrap();
        assert_eq!(t.origin, TokenOrigin::Refresh);
    }

    #[test]
    fn unknown_enum_values_are_errors() {
        let mut m = message_json(1, uuid(9), "x");
        m["kind"] = json!("video");
        assert!(serde_json::from_value::<Message>(m).is_err());
    }
}
