//! The RPC client and the chat API in headless Chromium against a devstack.
//!
//! Run through `devstack exec`, which provides the stack's URL and key; they
//! are read at compile time:
//!
//! ```text
//! devstack exec -- env CHROMEDRIVER=/usr/bin/chromedriver \
//!     cargo test --target wasm32-unknown-unknown --test client_api
//! ```
#![cfg(target_arch = "wasm32")]

mod stack;

use serde_json::json;
use uuid::Uuid;
use wasm_bindgen_test::*;
use workflow_chat::chat::api::{Api, MessageRange, NewMessage};
use workflow_chat::chat::types::Role;
use workflow_chat::supabase::rpc::RpcError;

use stack::{config, new_user};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn sign_in_and_typed_errors() {
    let api = Api::new(config());
    let (_ada, email) = new_user(&api, "Ada").await;

    let wrong = api.sign_in(&email, "wrong password").await.unwrap_err();
    let RpcError::Unauthenticated(body) = &wrong else {
        panic!("{wrong:?}")
    };
    assert_eq!(body.code, "PT401");
    assert_eq!(body.message, "invalid login credentials");

    let chat = api.sign_in(&email, "correct horse battery").await.unwrap();
    let me = chat.me().await.unwrap();
    assert_eq!(me.email.as_deref(), Some(email.to_lowercase().as_str()));
    assert_eq!(Some(me.id), chat.account_id());

    let invalid = chat.create_workflow("", "").await.unwrap_err();
    assert!(matches!(invalid, RpcError::InvalidInput(_)), "{invalid:?}");
    let missing = chat.get_workflow(Uuid::new_v4()).await.unwrap_err();
    assert!(
        matches!(&missing, RpcError::NotFound(b) if b.message == "workflow not found"),
        "{missing:?}"
    );
    let duplicate = api
        .register(&email, "another password", "Ada")
        .await
        .unwrap_err();
    assert!(matches!(duplicate, RpcError::Conflict(_)), "{duplicate:?}");

    // Refresh swaps the token in place; sign-out empties it.
    let before = chat.tokens().get().unwrap();
    chat.refresh().await.unwrap();
    assert_ne!(chat.tokens().get().unwrap(), before);
    chat.me().await.unwrap();
    chat.sign_out().await.unwrap();
    assert!(chat.tokens().get().is_none());
    let after = chat.me().await.unwrap_err();
    assert!(matches!(after, RpcError::Unauthenticated(_)), "{after:?}");
}

#[wasm_bindgen_test]
async fn workflow_session_and_idempotent_send() {
    let api = Api::new(config());
    let (owner, _) = new_user(&api, "Owner").await;
    let (viewer, viewer_email) = new_user(&api, "Viewer").await;

    let workflow = owner
        .create_workflow("Support", "client tests")
        .await
        .unwrap();
    assert_eq!(workflow.my_role, Role::Owner);
    owner
        .add_member(workflow.id, &viewer_email, Role::Viewer)
        .await
        .unwrap();
    let session = owner
        .create_session(workflow.id, "Onboarding", json!({"source": "test"}))
        .await
        .unwrap();

    let draft = NewMessage::text("hello");
    let first = owner.send_message(session.id, &draft).await.unwrap();
    let again = owner.send_message(session.id, &draft).await.unwrap();
    assert_eq!(
        (first.id, first.seq),
        (again.id, again.seq),
        "same client_id, same message"
    );
    let second = owner
        .send_message(
            session.id,
            &NewMessage::text("second").replying_to(first.id),
        )
        .await
        .unwrap();
    assert_eq!(second.seq, first.seq + 1);
    assert_eq!(second.reply_to.as_ref().map(|r| r.id), Some(first.id));

    let page = viewer
        .get_messages(session.id, MessageRange::Newest, 50)
        .await
        .unwrap();
    assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
    let after = viewer
        .get_messages(session.id, MessageRange::After(1), 50)
        .await
        .unwrap();
    assert_eq!(after.len(), 1);

    let forbidden = viewer
        .send_message(session.id, &NewMessage::text("viewers cannot"))
        .await
        .unwrap_err();
    assert!(matches!(forbidden, RpcError::Forbidden(_)), "{forbidden:?}");

    let sessions = viewer
        .list_sessions(workflow.id, None, 30, false)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].unread_count, Some(2));
    let read = viewer.mark_read(session.id, 2).await.unwrap();
    assert_eq!(read.last_read_seq, 2);

    let reacted = viewer.toggle_reaction(first.id, "👍").await;
    assert!(
        matches!(reacted, Err(RpcError::Forbidden(_))),
        "viewers do not react"
    );
    let reacted = owner.toggle_reaction(first.id, "👍").await.unwrap();
    assert_eq!(reacted.reactions[0].count, 1);
    let edited = owner.edit_message(first.id, "hello, edited").await.unwrap();
    assert!(edited.edited_at.is_some());
    let deleted = owner.delete_message(second.id).await.unwrap();
    assert!(deleted.is_deleted() && deleted.body.is_none());
}
