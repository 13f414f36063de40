//! Answering with an object: bytes (whole or a range), headers only, or
//! the info JSON, with the headers Storage's renderers set
//! (`src/storage/renderer/{renderer,head,info}.ts`).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use super::blob::{read_range, BlobStore};
use super::db::ObjectRow;
use super::error::{StorageError, StorageResult};

/// A byte range of an object, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub from: u64,
    /// Last byte.
    pub to: u64,
}

impl ByteRange {
    /// Bytes in the range.
    pub fn len(&self) -> u64 {
        self.to - self.from + 1
    }

    /// Whether the range is empty (never, for a parsed range).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Parses `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` against an object of
/// `size` bytes, as Storage's `parseRangeHeader` does (one range only; an
/// end past the object is clamped).
pub fn parse_range(value: &str, size: u64) -> StorageResult<ByteRange> {
    let spec = value
        .strip_prefix("bytes=")
        .ok_or_else(StorageError::invalid_range)?;
    let (start, end) = spec
        .split_once('-')
        .ok_or_else(StorageError::invalid_range)?;
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if size == 0 || !digits(start) || !digits(end) || (start.is_empty() && end.is_empty()) {
        return Err(StorageError::invalid_range());
    }
    let number = |s: &str| s.parse::<u64>().map_err(|_| StorageError::invalid_range());
    if start.is_empty() {
        let suffix = number(end)?;
        if suffix == 0 {
            return Err(StorageError::invalid_range());
        }
        return Ok(ByteRange {
            from: size.saturating_sub(suffix),
            to: size - 1,
        });
    }
    let from = number(start)?;
    let to = if end.is_empty() {
        size - 1
    } else {
        number(end)?
    };
    if to < from || from >= size {
        return Err(StorageError::invalid_range());
    }
    Ok(ByteRange {
        from,
        to: to.min(size - 1),
    })
}

/// How the object is being served.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// `?download` / `?download=<name>`: serve as an attachment.
    pub download: Option<String>,
    /// Expiry of a signed URL (seconds since the epoch): sent as `Expires`
    /// instead of `Cache-Control`.
    pub expires: Option<i64>,
    /// Headers only (HEAD).
    pub head: bool,
}

fn meta_str<'a>(row: &'a ObjectRow, name: &str) -> Option<&'a str> {
    row.metadata.get(name).and_then(Value::as_str)
}

/// Storage never serves stored HTML as HTML.
fn served_type(mime: Option<&str>) -> String {
    match mime {
        Some(m) if m.contains("text/html") => "text/plain".to_string(),
        Some(m) => m.to_string(),
        None => "application/octet-stream".to_string(),
    }
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// The object's bytes (or headers), honouring `Range` and `If-None-Match`.
pub async fn object(
    blobs: &BlobStore,
    row: &ObjectRow,
    request: &HeaderMap,
    options: &RenderOptions,
) -> StorageResult<Response<Body>> {
    let version = row.version.as_deref().unwrap_or("");
    let Some((file, size)) = blobs.open(version).await else {
        let mut r = StorageError::blob_missing().into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    };
    let modified = file
        .metadata()
        .await
        .ok()
        .and_then(|m| m.modified().ok())
        .map(httpdate::fmt_http_date);
    let etag = meta_str(row, "eTag").map(str::to_string);

    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    if let Some(etag) = &etag {
        set(headers, header::ETAG, etag);
    }
    if let Some(modified) = &modified {
        set(headers, header::LAST_MODIFIED, modified);
    }
    let not_modified = match (request.get(header::IF_NONE_MATCH), &etag) {
        (Some(wanted), Some(etag)) => wanted.to_str().is_ok_and(|w| w == etag),
        _ => false,
    };
    if not_modified {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(response);
    }
    let range = match request.get(header::RANGE) {
        Some(value) if !options.head => Some(parse_range(
            value.to_str().map_err(|_| StorageError::invalid_range())?,
            size,
        )?),
        _ => None,
    };
    set(headers, header::ACCEPT_RANGES, "bytes");
    set(
        headers,
        header::CONTENT_TYPE,
        &served_type(meta_str(row, "mimetype")),
    );
    set(
        headers,
        header::HeaderName::from_static("x-robots-tag"),
        "none",
    );
    match options.expires {
        Some(exp) => {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(exp.max(0) as u64);
            set(headers, header::EXPIRES, &httpdate::fmt_http_date(at));
        }
        None => {
            if let Some(cache) = meta_str(row, "cacheControl") {
                set(headers, header::CACHE_CONTROL, cache);
            }
        }
    }
    if let Some(name) = &options.download {
        let value = if name.is_empty() {
            "attachment;".to_string()
        } else {
            let encoded = encode_uri_component(name);
            format!("attachment; filename={encoded}; filename*=UTF-8''{encoded}")
        };
        set(headers, header::CONTENT_DISPOSITION, &value);
    }
    let (status, from, len) = match range {
        Some(r) => {
            set(
                headers,
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{size}", r.from, r.to),
            );
            (StatusCode::PARTIAL_CONTENT, r.from, r.len())
        }
        None => (StatusCode::OK, 0, size),
    };
    set(headers, header::CONTENT_LENGTH, &len.to_string());
    *response.status_mut() = status;
    if !options.head {
        *response.body_mut() = Body::from_stream(read_range(file, from, len));
    }
    Ok(response)
}

/// The info JSON of `GET /object/info/...`.
pub fn info(row: &ObjectRow) -> Response<Body> {
    let m = &row.metadata;
    let body = json!({
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "bucket_id": row.bucket_id,
        "size": m.get("size").cloned().unwrap_or(Value::Null),
        "content_type": m.get("mimetype").cloned().unwrap_or(Value::Null),
        "cache_control": m.get("cacheControl").cloned().unwrap_or(Value::Null),
        "etag": m.get("eTag").cloned().unwrap_or(Value::Null),
        "metadata": row.user_metadata,
        "last_modified": row.updated_at,
        "created_at": row.created_at,
    });
    let mut response = Response::new(Body::from(body.to_string()));
    let headers = response.headers_mut();
    set(headers, header::CONTENT_TYPE, "application/json");
    if let Some(etag) = meta_str(row, "eTag") {
        set(headers, header::ETAG, etag);
    }
    if let Some(cache) = meta_str(row, "cacheControl") {
        set(headers, header::CACHE_CONTROL, cache);
    }
    response
}

/// JavaScript's `encodeURIComponent`.
pub fn encode_uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(from: u64, to: u64) -> ByteRange {
        ByteRange { from, to }
    }

    #[test]
    fn ranges_as_storage_parses_them() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), r(0, 9));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), r(90, 99));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), r(90, 99));
        assert_eq!(parse_range("bytes=-500", 100).unwrap(), r(0, 99));
        assert_eq!(parse_range("bytes=50-500", 100).unwrap(), r(50, 99));
        assert_eq!(r(50, 99).len(), 50);
    }

    #[test]
    fn unsatisfiable_ranges_are_416() {
        for bad in [
            "bytes=100-",
            "bytes=5-1",
            "bytes=-0",
            "bytes=-",
            "items=0-1",
            "bytes=0-1,3-4",
        ] {
            let e = parse_range(bad, 100).unwrap_err();
            assert_eq!(e.http.as_u16(), 416, "{bad}");
        }
        assert!(parse_range("bytes=0-0", 0).is_err());
    }

    #[test]
    fn file_names_are_encoded_like_javascript() {
        assert_eq!(encode_uri_component("a b&c.pdf"), "a%20b%26c.pdf");
        assert_eq!(encode_uri_component("caf\u{e9}"), "caf%C3%A9");
    }

    #[test]
    fn html_is_served_as_text() {
        assert_eq!(served_type(Some("text/html; charset=utf-8")), "text/plain");
        assert_eq!(served_type(Some("image/png")), "image/png");
    }
}
