//! Reading an upload: a raw body or a `multipart/form-data` form as
//! storage-js sends it, streamed into a blob with the size limit enforced
//! while reading (`fileUploadFromRequest` in `src/storage/uploader.ts`).
//!
//! The form's text fields come before the file part (storage-js appends
//! `cacheControl`, `metadata` and the file in that order); they decide the
//! MIME type and metadata before any file byte is read, so the allow-list
//! and the permission probe run before the body is streamed.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use base64::Engine as _;
use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::blob::{BlobWriter, WriteError};
use super::error::{StorageError, StorageResult};
use super::mime;

/// Most text fields a form may carry before its file.
pub const MAX_FIELDS: usize = 10;

/// Largest user metadata, as JSON text.
pub const MAX_USER_METADATA: usize = 1024 * 1024;

/// What the request says about the file, before its bytes are read.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFacts {
    /// MIME type recorded for the object.
    pub mime: String,
    /// `Cache-Control` served with the object.
    pub cache_control: String,
    /// Metadata given by the uploader, if any and if valid JSON.
    pub user_metadata: Option<Value>,
    /// The request's `Content-Length`, if any.
    pub declared_length: Option<u64>,
}

/// A body ready to stream into a blob.
pub enum FileBody {
    /// A raw body.
    Raw(Body),
    /// The file part of a form.
    Part(Box<multer::Field<'static>>),
}

/// Whether the request carries a form.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|t| t.starts_with("multipart/form-data"))
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Facts of a raw-body upload: `Content-Type`, `Cache-Control`, and
/// `x-metadata` (base64 JSON).
pub fn raw_facts(headers: &HeaderMap) -> FileFacts {
    let declared = declared_length(headers);
    let user_metadata = headers
        .get("x-metadata")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    FileFacts {
        mime: mime::raw_body_type(content_type(headers)),
        cache_control: headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no-cache")
            .to_string(),
        user_metadata,
        declared_length: declared,
    }
}

/// Refuses a raw body whose `Content-Length` exceeds `limit` before any
/// byte is read. (A form's length includes its framing, so only the
/// streamed file counts there.)
pub fn check_declared_length(facts: &FileFacts, limit: u64) -> StorageResult<()> {
    if facts.declared_length.is_some_and(|n| n > limit) {
        return Err(StorageError::entity_too_large());
    }
    Ok(())
}

/// Reads a form up to its file part: the facts and the part to stream.
pub async fn open_form(headers: &HeaderMap, body: Body) -> StorageResult<(FileFacts, FileBody)> {
    let boundary = content_type(headers)
        .and_then(|t| multer::parse_boundary(t).ok())
        .ok_or_else(|| StorageError::no_content(Some("Invalid multipart boundary")))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut cache_time: Option<String> = None;
    let mut metadata: Option<String> = None;
    let mut content_type_field: Option<String> = None;
    let mut fields = 0;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| StorageError::no_content(Some(&e.to_string())))?;
        let Some(field) = field else {
            return Err(StorageError::no_content(None));
        };
        if field.file_name().is_some() {
            let mime = match content_type_field.filter(|t| !t.is_empty()) {
                Some(t) => t,
                None => mime::part_type(field.content_type().map(|m| m.as_ref())),
            };
            let user_metadata = match &metadata {
                Some(text) if text.len() > MAX_USER_METADATA => {
                    return Err(user_metadata_too_large());
                }
                Some(text) => serde_json::from_str(text).ok(),
                None => None,
            };
            let facts = FileFacts {
                mime,
                cache_control: cache_time
                    .map(|t| format!("max-age={t}"))
                    .unwrap_or_else(|| "no-cache".into()),
                user_metadata,
                declared_length: declared_length(headers),
            };
            // The field shares the form's parser state, so it outlives `form`.
            return Ok((facts, FileBody::Part(Box::new(field))));
        }
        fields += 1;
        let name = field.name().unwrap_or("").to_string();
        let text = read_field(field, MAX_USER_METADATA + 1).await?;
        if fields > MAX_FIELDS {
            continue;
        }
        match name.as_str() {
            "cacheControl" => cache_time = Some(text),
            "metadata" => metadata = Some(text),
            "userMetadata" if metadata.is_none() => metadata = Some(text),
            "contentType" => content_type_field = Some(text),
            _ => {}
        }
    }
}

fn user_metadata_too_large() -> StorageError {
    StorageError {
        message: "The user_metadata exceeded the maximum allowed size".into(),
        ..StorageError::entity_too_large()
    }
}

/// A text field, at most `cap` bytes (more is cut, then refused by the
/// caller's size check).
async fn read_field(mut field: multer::Field<'_>, cap: usize) -> StorageResult<String> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| StorageError::no_content(Some(&e.to_string())))?
    {
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// How long a refused upload's remaining body is read before the
/// connection is given up.
pub const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Hands `body` on through a small queue; once the receiving side is gone
/// (the upload finished or was refused), the rest of the body is read and
/// discarded, up to `limit` bytes and [`DRAIN_TIMEOUT`]. Without this a
/// client still sending a refused body gets a broken connection instead of
/// the error.
pub fn drain_after_use(body: Body, limit: u64) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, axum::Error>>(8);
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        // Forward while someone listens.
        loop {
            match stream.next().await {
                Some(chunk) => {
                    if tx.send(chunk).await.is_err() {
                        break;
                    }
                }
                None => return,
            }
        }
        let drain = async {
            let mut drained = 0u64;
            while let Some(Ok(chunk)) = stream.next().await {
                drained += chunk.len() as u64;
                if drained > limit {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

/// Streams the file into `writer`, stopping at the limit.
pub async fn stream_into(body: FileBody, writer: &mut BlobWriter) -> StorageResult<()> {
    match body {
        FileBody::Raw(body) => copy(body.into_data_stream(), writer).await,
        FileBody::Part(mut field) => loop {
            let chunk = field.chunk().await.map_err(|e| match e {
                multer::Error::StreamReadFailed(_) => aborted(),
                other => StorageError::no_content(Some(&other.to_string())),
            })?;
            match chunk {
                Some(chunk) => write(writer, &chunk).await?,
                None => return Ok(()),
            }
        },
    }
}

async fn copy<S, E>(mut stream: S, writer: &mut BlobWriter) -> StorageResult<()>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| aborted())?;
        write(writer, &chunk).await?;
    }
    Ok(())
}

async fn write(writer: &mut BlobWriter, chunk: &[u8]) -> StorageResult<()> {
    writer.write(chunk).await.map_err(|e| match e {
        WriteError::TooLarge => StorageError::entity_too_large(),
        WriteError::Io(e) => StorageError::internal(format!("writing the object: {e}")),
    })
}

fn aborted() -> StorageError {
    StorageError::no_content(Some("Request stream closed before upload could complete"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn raw_facts_from_headers() {
        let meta = base64::engine::general_purpose::STANDARD.encode(br#"{"a":1}"#);
        let f = raw_facts(&headers(&[
            ("content-type", "audio/webm;codecs=opus"),
            ("cache-control", "max-age=60"),
            ("x-metadata", &meta),
            ("content-length", "10"),
        ]));
        assert_eq!(f.mime, "audio/webm;codecs=opus");
        assert_eq!(f.cache_control, "max-age=60");
        assert_eq!(f.user_metadata, Some(serde_json::json!({"a": 1})));
        assert!(check_declared_length(&f, 10).is_ok());
        let big = raw_facts(&headers(&[("content-length", "11")]));
        assert_eq!(
            check_declared_length(&big, 10).unwrap_err().code,
            "EntityTooLarge"
        );
        let plain = raw_facts(&HeaderMap::new());
        assert_eq!(plain.mime, "application/octet-stream");
        assert_eq!(plain.cache_control, "no-cache");
    }

    /// A form part: name, (file name, content type) for files, value.
    type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a str);

    fn form(parts: &[Part<'_>]) -> (HeaderMap, Body) {
        let boundary = "XyZ";
        let mut body = String::new();
        for (name, file, value) in parts {
            body.push_str(&format!("--{boundary}\r\n"));
            match file {
                Some((filename, ctype)) => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n"
                )),
                None => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                )),
            }
            body.push_str(value);
            body.push_str("\r\n");
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let h = headers(&[("content-type", "multipart/form-data; boundary=XyZ")]);
        (h, Body::from(body))
    }

    #[tokio::test]
    async fn form_fields_then_file() {
        let (h, body) = form(&[
            ("cacheControl", None, "3600"),
            ("metadata", None, r#"{"duration_ms":1200}"#),
            ("", Some(("blob", "audio/webm;codecs=opus")), "OPUSDATA"),
        ]);
        assert!(is_multipart(&h));
        let (facts, file) = open_form(&h, body).await.unwrap();
        assert_eq!(facts.mime, "audio/webm");
        assert_eq!(facts.cache_control, "max-age=3600");
        assert_eq!(
            facts.user_metadata,
            Some(serde_json::json!({"duration_ms": 1200}))
        );
        let FileBody::Part(mut field) = file else {
            panic!("a file part")
        };
        let mut data = Vec::new();
        while let Some(c) = field.chunk().await.unwrap() {
            data.extend_from_slice(&c);
        }
        assert_eq!(data, b"OPUSDATA");
    }

    #[tokio::test]
    async fn content_type_field_overrides_and_missing_file_is_refused() {
        let (h, body) = form(&[
            ("contentType", None, "image/png"),
            ("", Some(("x", "application/octet-stream")), "P"),
        ]);
        assert_eq!(open_form(&h, body).await.unwrap().0.mime, "image/png");
        let (h, body) = form(&[("cacheControl", None, "1")]);
        let e = open_form(&h, body).await.err().unwrap();
        assert_eq!(e.message, "No content provided");
    }
}
