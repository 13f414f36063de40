//! Object keys and bucket names: what Storage accepts, plus the traversal
//! refusals of its file-system backend.
//!
//! Storage allows the S3-safe characters `A-Z a-z 0-9 _ / ! . * ' ( ) space
//! & $ = @ ; : + , ? -` in keys (`isValidKey` in `src/storage/limits.ts`).
//! Its file backend additionally refuses NUL, absolute paths and `.`/`..`
//! segments (`secure-path.ts`). devstack also refuses empty segments
//! (`a//b`, a trailing `/`), which storage-js never sends (it collapses
//! them) and which cannot name a file.

use super::error::{StorageError, StorageResult};

/// Longest bucket name Storage accepts.
pub const MAX_BUCKET_NAME: usize = 100;

/// Whether `c` is one of Storage's key characters (without `/`).
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_!.*'() &$=@;:+,?-".contains(c)
}

/// Checks an object key as Storage does before any database or file access.
pub fn validate_key(key: &str) -> StorageResult<()> {
    if key.contains('\0') {
        return Err(StorageError::invalid_key(key, Some("contains null byte")));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(StorageError::invalid_key(
            key,
            Some("must be a relative path"),
        ));
    }
    if key.is_empty() || !key.chars().all(|c| c == '/' || is_key_char(c)) {
        return Err(StorageError::invalid_key(key, None));
    }
    let segments: Vec<&str> = key.split('/').collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(StorageError::invalid_key(
            key,
            Some("contains dot path segment"),
        ));
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Err(StorageError::invalid_key(
            key,
            Some("contains empty path segment"),
        ));
    }
    Ok(())
}

/// Checks a bucket name (`isValidBucketName`: 1 to 100 key characters).
pub fn validate_bucket(name: &str) -> StorageResult<()> {
    if name.is_empty() || name.len() > MAX_BUCKET_NAME || !name.chars().all(is_key_char) {
        return Err(StorageError::invalid_bucket_name());
    }
    Ok(())
}

/// Decodes `%XX` escapes of a URL path (a `+` stays a `+`). Fails on
/// bytes that are not UTF-8 once decoded.
pub fn percent_decode_path(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(key: &str) -> String {
        validate_key(key).unwrap_err().message
    }

    #[test]
    fn ordinary_keys_pass() {
        for key in [
            "a.txt",
            "wf/sess/3f1c/voice note (1).webm",
            "x/y/z/report-2024_final!.pdf",
            "...hidden",
            "a/..b/c..",
        ] {
            assert!(validate_key(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn traversal_is_refused_with_a_reason() {
        assert_eq!(
            reason("../etc/passwd"),
            "Invalid key: ../etc/passwd contains dot path segment"
        );
        assert_eq!(
            reason("a/./b"),
            "Invalid key: a/./b contains dot path segment"
        );
        assert_eq!(
            reason("a/.."),
            "Invalid key: a/.. contains dot path segment"
        );
        assert_eq!(
            reason("/etc/passwd"),
            "Invalid key: /etc/passwd must be a relative path"
        );
        assert!(reason("a\0b").ends_with("contains null byte"));
        assert!(reason("a//b").ends_with("contains empty path segment"));
        assert!(reason("a/").ends_with("contains empty path segment"));
    }

    #[test]
    fn characters_outside_the_s3_safe_set_are_refused() {
        for key in [
            "a\\b",
            "caf\u{e9}.txt",
            "a#b",
            "a%b",
            "a\"b",
            "a<b>",
            "tab\there",
            "",
        ] {
            let e = validate_key(key).unwrap_err();
            assert_eq!(e.code, "InvalidKey", "{key:?}");
        }
        assert_eq!(reason("a#b"), "Invalid key: a#b");
    }

    #[test]
    fn bucket_names() {
        assert!(validate_bucket("wc-attachments").is_ok());
        assert!(validate_bucket("").is_err());
        assert!(validate_bucket("a/b").is_err());
        assert!(validate_bucket(&"x".repeat(101)).is_err());
        assert!(validate_bucket(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn paths_decode_percent_escapes_only() {
        assert_eq!(percent_decode_path("a%20b+c").unwrap(), "a b+c");
        assert_eq!(percent_decode_path("%2e%2E/x").unwrap(), "../x");
        assert_eq!(percent_decode_path("100%").unwrap(), "100%");
        assert_eq!(percent_decode_path("%zz").unwrap(), "%zz");
        assert_eq!(percent_decode_path("a%00b").unwrap(), "a\0b");
        assert!(percent_decode_path("%ff").is_none());
        assert_eq!(percent_decode_path("caf%C3%A9").unwrap(), "caf\u{e9}");
    }
}
