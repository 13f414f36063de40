//! The Storage client and attachments in headless Chromium against a
//! devstack: uploads with progress, the same bytes back by download and by
//! signed URL (with the headers a page on another origin may read), the
//! refusals the bucket's policies give to users without access, and the
//! limits on size, type and duplicates.
//!
//! Run through `devstack exec`, which provides the stack's URL and key; they
//! are read at compile time:
//!
//! ```text
//! devstack exec -- env CHROMEDRIVER=/usr/bin/chromedriver \
//!     cargo test --target wasm32-unknown-unknown --test client_storage
//! ```
#![cfg(target_arch = "wasm32")]

mod stack;

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;
use uuid::Uuid;
use wasm_bindgen_test::*;
use workflow_chat::chat::api::{Api, ChatApi, NewMessage};
use workflow_chat::chat::attachments::{self, AttachmentError, LocalFile, BUCKET, MAX_BYTES};
use workflow_chat::chat::types::{MessageKind, Role};
use workflow_chat::supabase::storage::{Progress, StorageClient, StorageError};

use stack::{config, new_user};

wasm_bindgen_test_configure!(run_in_browser);

fn storage_for(chat: &ChatApi) -> StorageClient {
    StorageClient::new(chat.config().clone(), Some(chat.tokens().clone()))
}

/// A session of a workflow owned by Ada, with Bob as member and Vic as
/// viewer; Eve belongs to none of it.
struct Room {
    ada: ChatApi,
    bob: ChatApi,
    vic: ChatApi,
    eve: ChatApi,
    workflow: Uuid,
    session: Uuid,
}

async fn room() -> Room {
    let api = Api::new(config());
    let (ada, _) = new_user(&api, "Ada").await;
    let (bob, bob_email) = new_user(&api, "Bob").await;
    let (vic, vic_email) = new_user(&api, "Vic").await;
    let (eve, _) = new_user(&api, "Eve").await;
    let workflow = ada.create_workflow("Files", "").await.unwrap().id;
    ada.add_member(workflow, &bob_email, Role::Member)
        .await
        .unwrap();
    ada.add_member(workflow, &vic_email, Role::Viewer)
        .await
        .unwrap();
    let session = ada
        .create_session(workflow, "Docs", json!({}))
        .await
        .unwrap()
        .id;
    Room {
        ada,
        bob,
        vic,
        eve,
        workflow,
        session,
    }
}

/// Every byte value, in an order that is not a simple run.
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn blob(bytes: &[u8]) -> web_sys::Blob {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap()
}

fn file<'a>(blob: &'a web_sys::Blob, name: &'a str, mime: &'a str) -> LocalFile<'a> {
    LocalFile {
        blob,
        name,
        mime,
        duration_ms: None,
    }
}

fn key_in(room: &Room, name: &str) -> String {
    attachments::object_key(room.workflow, room.session, Uuid::new_v4(), name).unwrap()
}

#[wasm_bindgen_test]
async fn upload_with_progress_then_the_same_bytes_by_download_and_signed_url() {
    let room = room().await;
    let bob = storage_for(&room.bob);
    let bytes = pseudo_random(384 * 1024);
    let body = blob(&bytes);

    let seen: Rc<RefCell<Vec<Progress>>> = Rc::default();
    let sink = seen.clone();
    let attachment = attachments::upload(
        &bob,
        room.workflow,
        room.session,
        &file(&body, "Quarterly report (v2).zip", "application/zip"),
        move |p| sink.borrow_mut().push(p),
    )
    .await
    .unwrap();
    let seen = seen.borrow().clone();
    assert!(!seen.is_empty(), "progress was reported");
    assert!(
        seen.windows(2).all(|w| w[0].loaded <= w[1].loaded),
        "progress never goes back: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(last.loaded, bytes.len() as f64, "progress reached the size");
    assert_eq!(last.fraction(), Some(1.0));
    assert_eq!(attachment.size_bytes, bytes.len() as i64);
    assert_eq!(attachment.file_name, "Quarterly report (v2).zip");
    assert!(attachment
        .path
        .starts_with(&format!("{}/{}/", room.workflow, room.session)));

    // The message carries the attachment as uploaded.
    let message = room
        .bob
        .send_message(
            room.session,
            &NewMessage::attachment(MessageKind::File, attachment.clone(), None),
        )
        .await
        .unwrap();
    assert_eq!(message.attachment.as_ref(), Some(&attachment));

    // The uploader, and a viewer, get the same bytes back.
    assert_eq!(bob.download(BUCKET, &attachment.path).await.unwrap(), bytes);
    let vic = storage_for(&room.vic);
    assert_eq!(vic.download(BUCKET, &attachment.path).await.unwrap(), bytes);

    // A signed URL needs no credentials; the page may read the headers it
    // needs to save or cache the file (devstack's CORS exposes them).
    let signed = vic.signed_url(BUCKET, &attachment.path, 60).await.unwrap();
    let response = gloo_net::http::Request::get(&signed).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(
        headers.get("content-type").as_deref(),
        Some("application/zip")
    );
    assert_eq!(headers.get("content-length"), Some(bytes.len().to_string()));
    assert!(
        headers.get("etag").is_some_and(|e| !e.is_empty()),
        "ETag readable"
    );
    assert!(
        headers.get("last-modified").is_some(),
        "Last-Modified readable"
    );
    assert_eq!(response.binary().await.unwrap(), bytes);

    let saved = gloo_net::http::Request::get(&format!("{signed}&download=copy.zip"))
        .send()
        .await
        .unwrap();
    let disposition = saved
        .headers()
        .get("content-disposition")
        .unwrap_or_default();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("copy.zip"),
        "{disposition}"
    );

    // A tampered token is refused.
    let tampered = signed.replace("token=", "token=x");
    let refused = gloo_net::http::Request::get(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let e = StorageError::from_response(refused.status(), &refused.text().await.unwrap());
    assert!(!matches!(e, StorageError::Server { .. }), "{e:?}");
}

#[wasm_bindgen_test]
async fn users_without_access_are_refused() {
    let room = room().await;
    let ada = storage_for(&room.ada);
    let bytes = pseudo_random(1000);
    let body = blob(&bytes);
    let mine = attachments::upload(
        &storage_for(&room.bob),
        room.workflow,
        room.session,
        &file(&body, "notes.txt", "text/plain"),
        |_| {},
    )
    .await
    .unwrap();

    // An outsider sees nothing and writes nothing, even with a valid key.
    let eve = storage_for(&room.eve);
    let e = eve.download(BUCKET, &mine.path).await.unwrap_err();
    assert!(matches!(e, StorageError::NotFound(_)), "{e:?}");
    let e = eve.signed_url(BUCKET, &mine.path, 60).await.unwrap_err();
    assert!(matches!(e, StorageError::NotFound(_)), "{e:?}");
    let e = eve
        .upload(BUCKET, &key_in(&room, "x.txt"), &body, "text/plain", |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Forbidden(_)), "{e:?}");

    // Signed out: the anon key reads nothing.
    let anonymous = StorageClient::new(config(), None);
    let e = anonymous.download(BUCKET, &mine.path).await.unwrap_err();
    assert!(matches!(e, StorageError::NotFound(_)), "{e:?}");

    // A viewer reads but does not upload.
    let vic = storage_for(&room.vic);
    let refused = attachments::upload(
        &vic,
        room.workflow,
        room.session,
        &file(&body, "notes.txt", "text/plain"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, AttachmentError::Upload(StorageError::Forbidden(_))),
        "{refused:?}"
    );

    // Only the uploader or an admin+ deletes; the viewer and another
    // member may not.
    let theirs = attachments::upload(
        &ada,
        room.workflow,
        room.session,
        &file(&body, "owner.txt", "text/plain"),
        |_| {},
    )
    .await
    .unwrap();
    let e = vic.remove(BUCKET, &mine.path).await.unwrap_err();
    assert!(matches!(e, StorageError::Forbidden(_)), "{e:?}");
    let bob = storage_for(&room.bob);
    let e = bob.remove(BUCKET, &theirs.path).await.unwrap_err();
    assert!(matches!(e, StorageError::Forbidden(_)), "{e:?}");
    assert_eq!(bob.download(BUCKET, &theirs.path).await.unwrap(), bytes);
    ada.remove(BUCKET, &mine.path).await.unwrap();
    bob.remove(BUCKET, &theirs.path).await.unwrap_err();
    ada.remove(BUCKET, &theirs.path).await.unwrap();
    let e = bob.download(BUCKET, &mine.path).await.unwrap_err();
    assert!(matches!(e, StorageError::NotFound(_)), "{e:?}");

    // An archived session takes no uploads.
    room.ada.archive_session(room.session, true).await.unwrap();
    let e = bob
        .upload(
            BUCKET,
            &key_in(&room, "late.txt"),
            &body,
            "text/plain",
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Forbidden(_)), "{e:?}");
}

#[wasm_bindgen_test]
async fn size_type_and_duplicate_limits() {
    let room = room().await;
    let bob = storage_for(&room.bob);

    // Over the bucket's limit: refused before sending, and by Storage when
    // sent anyway.
    let big = blob(&vec![7u8; MAX_BYTES as usize + 1]);
    let refused = attachments::upload(
        &bob,
        room.workflow,
        room.session,
        &file(&big, "big.pdf", "application/pdf"),
        |_| panic!("nothing is sent"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused, AttachmentError::TooLarge(MAX_BYTES + 1));
    let e = bob
        .upload(
            BUCKET,
            &key_in(&room, "big.pdf"),
            &big,
            "application/pdf",
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::TooLarge(_)), "{e:?}");

    // A type outside the allow-list, the same way.
    let page = blob(b"<html></html>");
    let refused = attachments::upload(
        &bob,
        room.workflow,
        room.session,
        &file(&page, "page.html", "text/html"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(refused, AttachmentError::TypeNotAllowed("text/html".into()));
    let e = bob
        .upload(
            BUCKET,
            &key_in(&room, "page.html"),
            &page,
            "text/html",
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::UnsupportedType(_)), "{e:?}");

    // Empty files are not attachments.
    let empty = blob(&[]);
    let refused = attachments::upload(
        &bob,
        room.workflow,
        room.session,
        &file(&empty, "empty.txt", "text/plain"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(refused, AttachmentError::Empty);

    // A recorder's parameterised type passes through `audio/*`.
    let voice = blob(&pseudo_random(4096));
    let note = attachments::upload(
        &bob,
        room.workflow,
        room.session,
        &LocalFile {
            blob: &voice,
            name: "voice.webm",
            mime: "audio/webm;codecs=opus",
            duration_ms: Some(2_500),
        },
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(note.duration_ms, Some(2_500));
    let message = room
        .bob
        .send_message(
            room.session,
            &NewMessage::attachment(MessageKind::Audio, note.clone(), None),
        )
        .await
        .unwrap();
    assert_eq!(message.kind, MessageKind::Audio);

    // An object is never overwritten.
    let e = bob
        .upload(BUCKET, &note.path, &voice, "audio/webm;codecs=opus", |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Duplicate(_)), "{e:?}");
}
