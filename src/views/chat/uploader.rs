//! An attachment upload the user can cancel.
//!
//! The Storage client's upload runs to its end once started; the composer
//! needs a cancel button, so this uploads with its own `XMLHttpRequest`
//! (same endpoint, headers and key rules as the client) and keeps the
//! request to abort it.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

use crate::chat::attachments::{check_file, kind_for, object_key, safe_file_name, BUCKET};
use crate::chat::types::{Attachment, MessageKind};
use crate::supabase::storage::{StorageClient, StorageError};

/// Why an upload did not give an attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadFailure {
    /// The user cancelled it.
    Cancelled,
    /// Refused or failed, with a message for the user.
    Failed(String),
}

/// A started upload: abort it with [`Upload::cancel`].
#[derive(Clone)]
pub struct Upload {
    xhr: XmlHttpRequest,
    cancelled: Rc<RefCell<bool>>,
}

impl Upload {
    /// Stops the upload; its future resolves to [`UploadFailure::Cancelled`].
    pub fn cancel(&self) {
        *self.cancelled.borrow_mut() = true;
        let _ = self.xhr.abort();
    }
}

/// What is uploaded.
pub struct Outgoing {
    /// The bytes.
    pub blob: Blob,
    /// File name.
    pub name: String,
    /// MIME type.
    pub mime: String,
    /// Length of a recording.
    pub duration_ms: Option<i64>,
}

/// Starts uploading `file` for a session; returns the handle to cancel it
/// and the future of the attachment to send.
#[allow(clippy::type_complexity)]
pub fn start_upload(
    storage: &StorageClient,
    workflow_id: Uuid,
    session_id: Uuid,
    file: Outgoing,
    on_progress: impl Fn(f64) + 'static,
) -> Result<
    (
        Upload,
        impl std::future::Future<Output = Result<(MessageKind, Attachment), UploadFailure>>,
    ),
    UploadFailure,
> {
    let failed = |e: &dyn std::fmt::Display| UploadFailure::Failed(e.to_string());
    let size = file.blob.size() as u64;
    check_file(&file.mime, size).map_err(|e| failed(&e))?;
    let name = safe_file_name(&file.name).map_err(|e| failed(&e))?;
    let path =
        object_key(workflow_id, session_id, Uuid::new_v4(), &name).map_err(|e| failed(&e))?;
    let js = |e: wasm_bindgen::JsValue| UploadFailure::Failed(format!("{e:?}"));
    let xhr = XmlHttpRequest::new().map_err(js)?;
    xhr.open_with_async("POST", &storage.object_url(BUCKET, &path), true)
        .map_err(js)?;
    for (header, value) in storage.headers() {
        xhr.set_request_header(header, &value).map_err(js)?;
    }
    xhr.set_request_header("Content-Type", &file.mime)
        .map_err(js)?;
    xhr.set_request_header("x-upsert", "false").map_err(js)?;

    let (tx, rx) = oneshot::channel::<()>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let done = move || {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(());
        }
    };
    let on_end = Closure::<dyn FnMut()>::new(done);
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            on_progress((e.loaded() / e.total()).clamp(0.0, 1.0));
        }
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    xhr.send_with_opt_blob(Some(&file.blob)).map_err(js)?;

    let handle = Upload {
        xhr: xhr.clone(),
        cancelled: Rc::new(RefCell::new(false)),
    };
    let cancelled = handle.cancelled.clone();
    let mime = file.mime.clone();
    let duration_ms = file.duration_ms;
    let result = async move {
        let _ = rx.await;
        // The request has ended: the closures can go.
        xhr.set_onloadend(None);
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(None);
        }
        drop((on_end, on_progress));
        if *cancelled.borrow() {
            return Err(UploadFailure::Cancelled);
        }
        let status = xhr.status().unwrap_or(0);
        if status == 0 {
            return Err(UploadFailure::Failed(
                StorageError::Network("the upload failed".into()).to_string(),
            ));
        }
        if !(200..300).contains(&status) {
            let text = xhr.response_text().ok().flatten().unwrap_or_default();
            return Err(UploadFailure::Failed(
                StorageError::from_response(status, &text).to_string(),
            ));
        }
        let kind = kind_for(&mime);
        Ok((
            kind,
            Attachment {
                path,
                file_name: name,
                mime_type: mime,
                size_bytes: size as i64,
                duration_ms: (kind == MessageKind::Audio).then_some(duration_ms.unwrap_or(0)),
            },
        ))
    };
    Ok((handle, result))
}
