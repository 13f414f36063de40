//! Typed calls for every browser-callable function of the SQL API
//! (`docs/api.md`).
//!
//! The client is split by what the caller holds. [`Api`] has only the
//! project key and can only register or sign in; [`ChatApi`] exists only
//! once a token does, so no chat call can be made signed out by mistake.
//! (`wc_issue_token` and `wc_process_webhooks` need the service-role key,
//! which never reaches a browser; they are not offered here.)
//!
//! ```no_run
//! # async fn demo() -> Result<(), workflow_chat::supabase::rpc::RpcError> {
//! use workflow_chat::chat::api::{Api, MessageRange};
//! use workflow_chat::chat::types::MessageKind;
//! use workflow_chat::chat::NewMessage;
//! use workflow_chat::config::SupabaseConfig;
//!
//! let api = Api::new(SupabaseConfig::from_document().unwrap());
//! let chat = api.sign_in("ada@example.com", "correct horse").await?;
//! let workflows = chat.list_workflows().await?;
//! let sessions = chat.list_sessions(workflows[0].id, None, 30, false).await?;
//! let newest = chat.get_messages(sessions[0].id, MessageRange::Newest, 50).await?;
//! let sent = chat.send_message(sessions[0].id, &NewMessage::text("Hello")).await?;
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::types::{
    Account, Attachment, Member, Message, MessageKind, ReadState, Role, Session, Timestamp,
    TokenGrant, TokenInfo, WebhookDelivery, Workflow,
};
use crate::config::SupabaseConfig;
use crate::supabase::auth::{keep_fresh, AccessToken, TokenCell};
use crate::supabase::jwt::JwtError;
use crate::supabase::rpc::{ErrorBody, Idempotency, RpcClient, RpcError};

use Idempotency::{Idempotent, NotIdempotent};

/// The signed-out API: registration and sign-in.
#[derive(Clone, Debug)]
pub struct Api {
    rpc: RpcClient,
}

impl Api {
    /// An API client for the project.
    pub fn new(config: SupabaseConfig) -> Self {
        Self {
            rpc: RpcClient::new(config),
        }
    }

    /// The project configuration.
    pub fn config(&self) -> &SupabaseConfig {
        self.rpc.config()
    }

    /// `wc_register`: creates an account and signs it in.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<ChatApi, RpcError> {
        let grant: TokenGrant = self
            .rpc
            .call(
                "wc_register",
                &json!({"email": email, "password": password, "display_name": display_name}),
                NotIdempotent,
            )
            .await?;
        self.signed_in(grant)
    }

    /// `wc_login`: signs in with email and password.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<ChatApi, RpcError> {
        let grant: TokenGrant = self
            .rpc
            .call(
                "wc_login",
                &json!({"email": email, "password": password}),
                NotIdempotent,
            )
            .await?;
        self.signed_in(grant)
    }

    /// Uses a token the host page obtained for its user (`wc_issue_token`).
    pub fn with_token(&self, token: &str) -> Result<ChatApi, JwtError> {
        let token = AccessToken::parse(token)?;
        let cell = TokenCell::new();
        cell.set(Some(token));
        Ok(ChatApi::new(self.rpc.clone(), cell))
    }

    fn signed_in(&self, grant: TokenGrant) -> Result<ChatApi, RpcError> {
        let token = AccessToken::parse(grant.access_token)
            .map_err(|e| RpcError::Decode(format!("the server's token is unreadable: {e}")))?;
        let cell = TokenCell::new();
        cell.set(Some(token));
        Ok(ChatApi::new(self.rpc.clone(), cell))
    }
}

/// Which messages [`ChatApi::get_messages`] fetches (keyset on `seq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRange {
    /// The newest page.
    Newest,
    /// The page just below `seq` (scrolling up).
    Before(i64),
    /// The page just above `seq` (catching up after a gap or reconnect).
    After(i64),
    /// Strictly between `after` and `before`, oldest first.
    Between {
        /// Exclusive lower bound.
        after: i64,
        /// Exclusive upper bound.
        before: i64,
    },
}

impl MessageRange {
    /// `(before_seq, after_seq)` arguments.
    fn cursors(self) -> (Option<i64>, Option<i64>) {
        match self {
            MessageRange::Newest => (None, None),
            MessageRange::Before(seq) => (Some(seq), None),
            MessageRange::After(seq) => (None, Some(seq)),
            MessageRange::Between { after, before } => (Some(before), Some(after)),
        }
    }
}

/// A message to send. `client_id` makes the send idempotent: resending the
/// same value (a retry) returns the stored message instead of a second one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    /// The sender's id for this message.
    pub client_id: Uuid,
    /// What it carries.
    pub kind: MessageKind,
    /// Text, or caption of an attachment.
    pub body: Option<String>,
    /// Uploaded attachment (for audio and file messages).
    pub attachment: Option<Attachment>,
    /// Message replied to.
    pub reply_to: Option<Uuid>,
}

impl NewMessage {
    /// A text message with a fresh client id.
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            client_id: Uuid::new_v4(),
            kind: MessageKind::Text,
            body: Some(body.into()),
            attachment: None,
            reply_to: None,
        }
    }

    /// An audio or file message with a fresh client id.
    pub fn attachment(kind: MessageKind, attachment: Attachment, caption: Option<String>) -> Self {
        Self {
            client_id: Uuid::new_v4(),
            kind,
            body: caption,
            attachment: Some(attachment),
            reply_to: None,
        }
    }

    /// Marks it as a reply.
    pub fn replying_to(mut self, message: Uuid) -> Self {
        self.reply_to = Some(message);
        self
    }
}

/// The signed-in API. Cheap to clone; clones share the token.
#[derive(Clone, Debug)]
pub struct ChatApi {
    rpc: RpcClient,
    tokens: TokenCell,
}

impl ChatApi {
    fn new(anonymous: RpcClient, tokens: TokenCell) -> Self {
        Self {
            rpc: anonymous.with_token(tokens.clone()),
            tokens,
        }
    }

    /// The token cell; the Realtime and Storage clients follow it.
    pub fn tokens(&self) -> &TokenCell {
        &self.tokens
    }

    /// The signed-in account's id, from the token.
    pub fn account_id(&self) -> Option<Uuid> {
        self.tokens
            .get()
            .and_then(|t| t.subject().and_then(|s| Uuid::parse_str(s).ok()))
    }

    /// The project configuration.
    pub fn config(&self) -> &SupabaseConfig {
        self.rpc.config()
    }

    async fn call<R: DeserializeOwned>(
        &self,
        function: &str,
        args: Value,
        idempotency: Idempotency,
    ) -> Result<R, RpcError> {
        if self.tokens.get().is_none() {
            // Signed out meanwhile: do not fall back to the anon key.
            return Err(RpcError::Unauthenticated(ErrorBody {
                code: "PT401".into(),
                message: "authentication required".into(),
                ..ErrorBody::default()
            }));
        }
        let result = self.rpc.call(function, &args, idempotency).await;
        if let Err(RpcError::Unauthenticated(body)) = &result {
            // A revoked or expired token will not come back: sign out so
            // that every client drops it.
            if matches!(
                body.message.as_str(),
                "token expired" | "token revoked" | "account disabled"
            ) || body.code.starts_with("PGRST30")
            {
                self.tokens.sign_out();
            }
        }
        result
    }

    // ----- accounts and tokens ---------------------------------------------

    /// `wc_logout`, then forgets the token whatever the server said.
    pub async fn sign_out(&self) -> Result<(), RpcError> {
        let result = self.call::<()>("wc_logout", json!({}), NotIdempotent).await;
        self.tokens.sign_out();
        result
    }

    /// `wc_refresh`: replaces the token with a new one.
    pub async fn refresh(&self) -> Result<TokenGrant, RpcError> {
        let grant: TokenGrant = self.call("wc_refresh", json!({}), NotIdempotent).await?;
        let token = AccessToken::parse(grant.access_token.clone())
            .map_err(|e| RpcError::Decode(format!("the server's token is unreadable: {e}")))?;
        self.tokens.set(Some(token));
        Ok(grant)
    }

    /// Refreshes the token before each expiry until sign-out; run it with
    /// `wasm_bindgen_futures::spawn_local`.
    pub async fn keep_token_fresh(self) {
        let api = self.clone();
        keep_fresh(self.tokens.clone(), move |_current| {
            let api = api.clone();
            async move {
                let grant: TokenGrant = api
                    .rpc
                    .call("wc_refresh", &json!({}), NotIdempotent)
                    .await?;
                AccessToken::parse(grant.access_token)
                    .map_err(|e| RpcError::Decode(format!("the server's token is unreadable: {e}")))
            }
        })
        .await
    }

    /// `wc_me`.
    pub async fn me(&self) -> Result<Account, RpcError> {
        self.call("wc_me", json!({}), Idempotent).await
    }

    /// `wc_update_profile`; `None` leaves a field unchanged, an empty
    /// avatar URL clears it.
    pub async fn update_profile(
        &self,
        display_name: Option<&str>,
        avatar_url: Option<&str>,
    ) -> Result<Account, RpcError> {
        let args = json!({"display_name": display_name, "avatar_url": avatar_url});
        self.call("wc_update_profile", args, Idempotent).await
    }

    /// `wc_list_tokens`.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, RpcError> {
        self.call("wc_list_tokens", json!({}), Idempotent).await
    }

    /// `wc_revoke_token`.
    pub async fn revoke_token(&self, jti: Uuid) -> Result<(), RpcError> {
        self.call("wc_revoke_token", json!({ "jti": jti }), Idempotent)
            .await
    }

    // ----- workflows and members --------------------------------------------

    /// `wc_create_workflow`.
    pub async fn create_workflow(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Workflow, RpcError> {
        let args = json!({"name": name, "description": description});
        self.call("wc_create_workflow", args, NotIdempotent).await
    }

    /// `wc_list_workflows`.
    pub async fn list_workflows(&self) -> Result<Vec<Workflow>, RpcError> {
        self.call("wc_list_workflows", json!({}), Idempotent).await
    }

    /// `wc_get_workflow`.
    pub async fn get_workflow(&self, workflow_id: Uuid) -> Result<Workflow, RpcError> {
        self.call(
            "wc_get_workflow",
            json!({ "workflow_id": workflow_id }),
            Idempotent,
        )
        .await
    }

    /// `wc_update_workflow`; `None` leaves a field unchanged.
    pub async fn update_workflow(
        &self,
        workflow_id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Workflow, RpcError> {
        let args = json!({"workflow_id": workflow_id, "name": name, "description": description});
        self.call("wc_update_workflow", args, Idempotent).await
    }

    /// `wc_set_webhook`; `url: None` removes the webhook, `secret: None`
    /// keeps the stored one.
    pub async fn set_webhook(
        &self,
        workflow_id: Uuid,
        url: Option<&str>,
        secret: Option<&str>,
    ) -> Result<Workflow, RpcError> {
        let args = json!({"workflow_id": workflow_id, "url": url, "secret": secret});
        self.call("wc_set_webhook", args, Idempotent).await
    }

    /// `wc_delete_workflow`.
    pub async fn delete_workflow(&self, workflow_id: Uuid) -> Result<(), RpcError> {
        self.call(
            "wc_delete_workflow",
            json!({ "workflow_id": workflow_id }),
            NotIdempotent,
        )
        .await
    }

    /// `wc_list_members`.
    pub async fn list_members(&self, workflow_id: Uuid) -> Result<Vec<Member>, RpcError> {
        self.call(
            "wc_list_members",
            json!({ "workflow_id": workflow_id }),
            Idempotent,
        )
        .await
    }

    /// `wc_add_member`.
    pub async fn add_member(
        &self,
        workflow_id: Uuid,
        email: &str,
        role: Role,
    ) -> Result<Member, RpcError> {
        let args = json!({"workflow_id": workflow_id, "email": email, "role": role});
        self.call("wc_add_member", args, NotIdempotent).await
    }

    /// `wc_set_member_role`.
    pub async fn set_member_role(
        &self,
        workflow_id: Uuid,
        account_id: Uuid,
        role: Role,
    ) -> Result<Member, RpcError> {
        let args = json!({"workflow_id": workflow_id, "account_id": account_id, "role": role});
        self.call("wc_set_member_role", args, Idempotent).await
    }

    /// `wc_remove_member` (one's own id: leave the workflow).
    pub async fn remove_member(&self, workflow_id: Uuid, account_id: Uuid) -> Result<(), RpcError> {
        let args = json!({"workflow_id": workflow_id, "account_id": account_id});
        self.call("wc_remove_member", args, NotIdempotent).await
    }

    // ----- sessions ---------------------------------------------------------

    /// `wc_create_session`.
    pub async fn create_session(
        &self,
        workflow_id: Uuid,
        title: &str,
        metadata: Value,
    ) -> Result<Session, RpcError> {
        let args = json!({"workflow_id": workflow_id, "title": title, "metadata": metadata});
        self.call("wc_create_session", args, NotIdempotent).await
    }

    /// `wc_get_session`.
    pub async fn get_session(&self, session_id: Uuid) -> Result<Session, RpcError> {
        self.call(
            "wc_get_session",
            json!({ "session_id": session_id }),
            Idempotent,
        )
        .await
    }

    /// `wc_list_sessions`, newest activity first; `before` is the
    /// `(last_activity_at, id)` of the last session of the previous page.
    pub async fn list_sessions(
        &self,
        workflow_id: Uuid,
        before: Option<(&Timestamp, Uuid)>,
        page_size: u32,
        include_archived: bool,
    ) -> Result<Vec<Session>, RpcError> {
        let args = json!({
            "workflow_id": workflow_id,
            "before_activity": before.map(|(at, _)| at),
            "before_id": before.map(|(_, id)| id),
            "page_size": page_size,
            "include_archived": include_archived,
        });
        self.call("wc_list_sessions", args, Idempotent).await
    }

    /// `wc_update_session`; `None` leaves a field unchanged.
    pub async fn update_session(
        &self,
        session_id: Uuid,
        title: Option<&str>,
        metadata: Option<Value>,
    ) -> Result<Session, RpcError> {
        let args = json!({"session_id": session_id, "title": title, "metadata": metadata});
        self.call("wc_update_session", args, Idempotent).await
    }

    /// `wc_archive_session` (`archived: false` restores).
    pub async fn archive_session(
        &self,
        session_id: Uuid,
        archived: bool,
    ) -> Result<Session, RpcError> {
        let args = json!({"session_id": session_id, "archived": archived});
        self.call("wc_archive_session", args, Idempotent).await
    }

    // ----- messages ----------------------------------------------------------

    /// `wc_send_message`. Retried on transient failures: the client id
    /// makes a repeat harmless.
    pub async fn send_message(
        &self,
        session_id: Uuid,
        message: &NewMessage,
    ) -> Result<Message, RpcError> {
        self.call(
            "wc_send_message",
            send_args(session_id, message),
            Idempotent,
        )
        .await
    }

    /// `wc_get_messages`, ascending `seq`.
    pub async fn get_messages(
        &self,
        session_id: Uuid,
        range: MessageRange,
        page_size: u32,
    ) -> Result<Vec<Message>, RpcError> {
        let (before_seq, after_seq) = range.cursors();
        let args = json!({
            "session_id": session_id,
            "before_seq": before_seq,
            "after_seq": after_seq,
            "page_size": page_size,
        });
        self.call("wc_get_messages", args, Idempotent).await
    }

    /// `wc_edit_message`.
    pub async fn edit_message(&self, message_id: Uuid, body: &str) -> Result<Message, RpcError> {
        let args = json!({"message_id": message_id, "body": body});
        self.call("wc_edit_message", args, Idempotent).await
    }

    /// `wc_delete_message` (deleting again returns the deleted message).
    pub async fn delete_message(&self, message_id: Uuid) -> Result<Message, RpcError> {
        self.call(
            "wc_delete_message",
            json!({ "message_id": message_id }),
            Idempotent,
        )
        .await
    }

    /// `wc_toggle_reaction`. Not retried: a repeat would undo it.
    pub async fn toggle_reaction(
        &self,
        message_id: Uuid,
        emoji: &str,
    ) -> Result<Message, RpcError> {
        let args = json!({"message_id": message_id, "emoji": emoji});
        self.call("wc_toggle_reaction", args, NotIdempotent).await
    }

    /// `wc_mark_read` (moves forward only).
    pub async fn mark_read(&self, session_id: Uuid, seq: i64) -> Result<ReadState, RpcError> {
        let args = json!({"session_id": session_id, "seq": seq});
        self.call("wc_mark_read", args, Idempotent).await
    }

    /// `wc_list_read_states`.
    pub async fn list_read_states(&self, session_id: Uuid) -> Result<Vec<ReadState>, RpcError> {
        self.call(
            "wc_list_read_states",
            json!({ "session_id": session_id }),
            Idempotent,
        )
        .await
    }

    // ----- webhooks ----------------------------------------------------------

    /// `wc_list_webhook_deliveries`, newest first; `before` is the
    /// `(created_at, id)` of the last delivery of the previous page.
    pub async fn list_webhook_deliveries(
        &self,
        workflow_id: Uuid,
        before: Option<(&Timestamp, Uuid)>,
        page_size: u32,
    ) -> Result<Vec<WebhookDelivery>, RpcError> {
        let args = json!({
            "workflow_id": workflow_id,
            "before_created_at": before.map(|(at, _)| at),
            "before_id": before.map(|(_, id)| id),
            "page_size": page_size,
        });
        self.call("wc_list_webhook_deliveries", args, Idempotent)
            .await
    }
}

/// Arguments of `wc_send_message`.
pub fn send_args(session_id: Uuid, message: &NewMessage) -> Value {
    json!({
        "session_id": session_id,
        "client_id": message.client_id,
        "kind": message.kind,
        "body": message.body,
        "attachment": message.attachment,
        "reply_to": message.reply_to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::types::tests::uuid;

    #[test]
    fn send_arguments_use_the_documented_names() {
        let mut m = NewMessage::text("hi").replying_to(uuid(7));
        m.client_id = uuid(9);
        assert_eq!(
            send_args(uuid(1), &m),
            json!({"session_id": uuid(1), "client_id": uuid(9), "kind": "text", "body": "hi",
                   "attachment": null, "reply_to": uuid(7)})
        );
        let a = NewMessage::attachment(
            MessageKind::Audio,
            Attachment {
                path: "w/s/u/voice.webm".into(),
                file_name: "voice.webm".into(),
                mime_type: "audio/webm;codecs=opus".into(),
                size_bytes: 10,
                duration_ms: Some(1500),
            },
            None,
        );
        let args = send_args(uuid(1), &a);
        assert_eq!(args["kind"], "audio");
        assert_eq!(args["attachment"]["duration_ms"], 1500);
        assert_ne!(
            NewMessage::text("a").client_id,
            NewMessage::text("a").client_id
        );
    }

    #[test]
    fn message_ranges_map_to_cursors() {
        assert_eq!(MessageRange::Newest.cursors(), (None, None));
        assert_eq!(MessageRange::Before(10).cursors(), (Some(10), None));
        assert_eq!(MessageRange::After(10).cursors(), (None, Some(10)));
        assert_eq!(
            MessageRange::Between {
                after: 3,
                before: 9
            }
            .cursors(),
            (Some(9), Some(3))
        );
    }

    #[test]
    fn host_tokens_must_be_jwts() {
        let key = crate::supabase::jwt::tests::token_with(r#"{"role":"anon"}"#);
        let api = Api::new(SupabaseConfig::parse(Some("http://a"), Some(&key), None).unwrap());
        assert!(api.with_token("nope").is_err());
        let user = uuid(5);
        let token =
            crate::supabase::jwt::tests::token_with(&format!(r#"{{"sub":"{user}","exp":9}}"#));
        let chat = api.with_token(&token).unwrap();
        assert_eq!(chat.account_id(), Some(user));
    }
}
