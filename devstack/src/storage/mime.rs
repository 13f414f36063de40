//! The MIME type of an upload and the bucket's allow-list, as Storage
//! decides them.
//!
//! Where the type comes from matters:
//!
//! - a raw body uses the request's `Content-Type` verbatim (default
//!   `application/octet-stream`), parameters included;
//! - a multipart upload (what storage-js sends for a `Blob` or `File`) uses
//!   the form's `contentType` field if present, else the file part's
//!   `Content-Type` as Storage's multipart parser reports it: lower-cased,
//!   without parameters (default `text/plain`).
//!
//! The allow-list check (`validateMimeType` in `src/storage/uploader.ts`)
//! splits the type on `/` and compares both halves literally, so
//! `audio/webm;codecs=opus` sent as a raw body matches `audio/*` but not
//! `audio/webm`, while the same blob sent by storage-js arrives as
//! `audio/webm` and matches both.

use super::error::{StorageError, StorageResult};

/// MIME type of a raw-body upload.
pub fn raw_body_type(content_type: Option<&str>) -> String {
    match content_type {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => "application/octet-stream".to_string(),
    }
}

/// MIME type of a multipart file part, as Storage's parser reports it.
pub fn part_type(content_type: Option<&str>) -> String {
    let essence = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence.is_empty() {
        "text/plain".to_string()
    } else {
        essence
    }
}

/// Checks `mime` against a bucket's allow-list; an empty list allows all.
pub fn check_allowed(mime: &str, allowed: &[String]) -> StorageResult<()> {
    if allowed.is_empty() {
        return Ok(());
    }
    let requested: Vec<&str> = mime.split('/').collect();
    if requested.len() < 2 {
        return Err(StorageError::invalid_mime_type(mime));
    }
    let (kind, sub) = (requested[0], requested[1]);
    let allowed_by = |entry: &String| {
        let mut parts = entry.split('/');
        let (Some(a_kind), Some(a_sub)) = (parts.next(), parts.next()) else {
            return false;
        };
        a_kind == kind && (a_sub == "*" || a_sub == sub)
    };
    if allowed.iter().any(allowed_by) {
        Ok(())
    } else {
        Err(StorageError::invalid_mime_type(mime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wildcards_and_exact_types() {
        let allowed = list(&["audio/*", "image/png", "application/pdf"]);
        assert!(check_allowed("audio/mp4", &allowed).is_ok());
        assert!(check_allowed("image/png", &allowed).is_ok());
        assert!(check_allowed("image/jpeg", &allowed).is_err());
        assert!(check_allowed("application/pdf", &allowed).is_ok());
        assert!(check_allowed("text/plain", &allowed).is_err());
        assert!(check_allowed("anything", &[]).is_ok());
    }

    #[test]
    fn a_raw_parameterised_type_matches_only_a_wildcard() {
        let recorded = raw_body_type(Some("audio/webm;codecs=opus"));
        assert!(check_allowed(&recorded, &list(&["audio/*"])).is_ok());
        assert!(check_allowed(&recorded, &list(&["audio/webm"])).is_err());
    }

    #[test]
    fn a_multipart_part_type_loses_its_parameters() {
        let recorded = part_type(Some("Audio/WebM; codecs=opus"));
        assert_eq!(recorded, "audio/webm");
        assert!(check_allowed(&recorded, &list(&["audio/webm"])).is_ok());
        assert!(check_allowed(&recorded, &list(&["audio/*"])).is_ok());
        assert_eq!(part_type(None), "text/plain");
    }

    #[test]
    fn a_type_without_a_slash_is_refused() {
        let e = check_allowed("png", &list(&["image/*"])).unwrap_err();
        assert_eq!(e.message, "mime type png is not supported");
        assert_eq!(raw_body_type(None), "application/octet-stream");
    }
}
