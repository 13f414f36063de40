//! Attachments: where they are stored, what the bucket accepts, and the
//! upload that precedes an audio or file message (`docs/api.md`,
//! "Attachments").
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::chat::attachments::{check_file, object_key, AttachmentError};
//!
//! let (w, s, o) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
//! let key = object_key(w, s, o, "Quarterly report (v2).pdf").unwrap();
//! assert!(key.ends_with("/Quarterly report (v2).pdf"));
//! assert_eq!(check_file("audio/webm;codecs=opus", 1000), Ok(()));
//! assert_eq!(check_file("application/x-msdownload", 1000), Err(AttachmentError::TypeNotAllowed("application/x-msdownload".into())));
//! ```

use std::fmt;

use uuid::Uuid;

use super::types::{Attachment, MessageKind};
use crate::supabase::storage::{Progress, StorageClient, StorageError};

/// The private bucket of attachments.
pub const BUCKET: &str = "wc-attachments";
/// The bucket's size limit (25 MiB).
pub const MAX_BYTES: u64 = 26_214_400;
/// MIME types the bucket accepts besides `audio/*`.
pub const ALLOWED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/json",
];

/// Why a file cannot be attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachmentError {
    /// Empty file.
    Empty,
    /// Over [`MAX_BYTES`].
    TooLarge(u64),
    /// MIME type not accepted by the bucket.
    TypeNotAllowed(String),
    /// The file name is empty or longer than 255 characters.
    BadName,
    /// The upload failed.
    Upload(StorageError),
}

impl fmt::Display for AttachmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttachmentError::Empty => f.write_str("the file is empty"),
            AttachmentError::TooLarge(n) => {
                write!(f, "the file has {n} bytes; at most {MAX_BYTES} are allowed")
            }
            AttachmentError::TypeNotAllowed(t) => write!(f, "files of type {t} are not allowed"),
            AttachmentError::BadName => f.write_str("the file name must have 1 to 255 characters"),
            AttachmentError::Upload(e) => write!(f, "upload failed: {e}"),
        }
    }
}

impl std::error::Error for AttachmentError {}

/// Whether the bucket accepts `mime`. Like Storage, a parameterised type
/// (`audio/webm;codecs=opus`) only matches a wildcard, which only audio has.
pub fn is_allowed_type(mime: &str) -> bool {
    let mime = mime.trim().to_ascii_lowercase();
    mime.starts_with("audio/") && mime.len() > "audio/".len()
        || ALLOWED_TYPES.contains(&mime.as_str())
}

/// The message kind for a file of type `mime`.
pub fn kind_for(mime: &str) -> MessageKind {
    if mime.trim().to_ascii_lowercase().starts_with("audio/") {
        MessageKind::Audio
    } else {
        MessageKind::File
    }
}

/// Checks type and size before uploading.
pub fn check_file(mime: &str, size: u64) -> Result<(), AttachmentError> {
    if size == 0 {
        return Err(AttachmentError::Empty);
    }
    if size > MAX_BYTES {
        return Err(AttachmentError::TooLarge(size));
    }
    if !is_allowed_type(mime) {
        return Err(AttachmentError::TypeNotAllowed(mime.to_owned()));
    }
    Ok(())
}

/// A file name Storage accepts in a key: characters outside its allowed set
/// (and `/`) become `_`.
pub fn safe_file_name(name: &str) -> Result<String, AttachmentError> {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_!.*'() &$=@;:+,?-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let length = cleaned.chars().count();
    if length == 0 || length > 255 || cleaned.chars().all(|c| c == '.') {
        return Err(AttachmentError::BadName);
    }
    Ok(cleaned)
}

/// The object key `<workflow>/<session>/<object id>/<file name>`.
pub fn object_key(
    workflow_id: Uuid,
    session_id: Uuid,
    object_id: Uuid,
    file_name: &str,
) -> Result<String, AttachmentError> {
    Ok(format!(
        "{workflow_id}/{session_id}/{object_id}/{}",
        safe_file_name(file_name)?
    ))
}

/// A file the user picked or recorded.
#[derive(Clone, Debug)]
pub struct LocalFile<'a> {
    /// The bytes.
    pub blob: &'a web_sys::Blob,
    /// Its name.
    pub name: &'a str,
    /// Its MIME type.
    pub mime: &'a str,
    /// Length of a recording, in milliseconds.
    pub duration_ms: Option<i64>,
}

/// Uploads a file for a session and returns the attachment to send with
/// the message.
pub async fn upload(
    storage: &StorageClient,
    workflow_id: Uuid,
    session_id: Uuid,
    file: &LocalFile<'_>,
    on_progress: impl Fn(Progress) + 'static,
) -> Result<Attachment, AttachmentError> {
    let (mime, duration_ms) = (file.mime, file.duration_ms);
    let size = file.blob.size() as u64;
    check_file(mime, size)?;
    let name = safe_file_name(file.name)?;
    let path = object_key(workflow_id, session_id, Uuid::new_v4(), &name)?;
    storage
        .upload(BUCKET, &path, file.blob, mime, on_progress)
        .await
        .map_err(AttachmentError::Upload)?;
    Ok(Attachment {
        path,
        file_name: name,
        mime_type: mime.to_owned(),
        size_bytes: size as i64,
        duration_ms: (kind_for(mime) == MessageKind::Audio).then_some(duration_ms.unwrap_or(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_types_follow_the_bucket() {
        for ok in [
            "audio/webm;codecs=opus",
            "audio/ogg",
            "image/png",
            "IMAGE/JPEG",
            "application/pdf",
        ] {
            assert!(is_allowed_type(ok), "{ok}");
        }
        for bad in ["audio/", "image/svg+xml", "image/png;x=1", "text/html", ""] {
            assert!(!is_allowed_type(bad), "{bad}");
        }
        assert_eq!(kind_for("audio/mp4"), MessageKind::Audio);
        assert_eq!(kind_for("video/mp4"), MessageKind::File);
    }

    #[test]
    fn size_limits() {
        assert_eq!(check_file("text/plain", 0), Err(AttachmentError::Empty));
        assert_eq!(check_file("text/plain", MAX_BYTES), Ok(()));
        assert_eq!(
            check_file("text/plain", MAX_BYTES + 1),
            Err(AttachmentError::TooLarge(MAX_BYTES + 1))
        );
    }

    #[test]
    fn keys_and_names() {
        let (w, s, o) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert_eq!(
            object_key(w, s, o, "a/b#c ü.txt").unwrap(),
            format!("{w}/{s}/{o}/a_b_c _.txt")
        );
        assert_eq!(safe_file_name("   "), Err(AttachmentError::BadName));
        assert_eq!(safe_file_name(".."), Err(AttachmentError::BadName));
        assert_eq!(
            safe_file_name(&"x".repeat(256)),
            Err(AttachmentError::BadName)
        );
        assert_eq!(safe_file_name(&"x".repeat(255)).unwrap().len(), 255);
    }
}
