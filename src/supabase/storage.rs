//! Supabase Storage: uploads with progress, signed URLs, downloads.
//!
//! Uploads go through `XMLHttpRequest` because `fetch` reports no upload
//! progress. Storage answers most failures with HTTP 400 and puts the real
//! status in the body's `statusCode`; [`StorageError::from_response`] reads
//! that, so callers see "not found" or "too large", not "bad request".
//!
//! ```
//! use workflow_chat::supabase::storage::{object_path, StorageError};
//! assert_eq!(object_path("wc-attachments", "w/s/u/my notes.pdf"), "wc-attachments/w/s/u/my%20notes.pdf");
//! let e = StorageError::from_response(400, r#"{"statusCode":"404","error":"not_found","message":"Object not found"}"#);
//! assert!(matches!(e, StorageError::NotFound(_)));
//! ```
//!
//! ```no_run
//! # async fn demo(storage: workflow_chat::supabase::storage::StorageClient, file: web_sys::File) {
//! let stored = storage
//!     .upload("wc-attachments", "w/s/u/photo.png", &file, "image/png", |p| {
//!         web_sys::console::log_1(&format!("{:.0} %", p.fraction().unwrap_or(0.0) * 100.0).into());
//!     })
//!     .await;
//! # }
//! ```

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures::channel::oneshot;
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

use super::auth::TokenCell;
use crate::config::{encode_query_value, SupabaseConfig};

/// Storage's error body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct StorageErrorBody {
    /// Semantic status as a string (`"404"`), often unlike the HTTP status.
    #[serde(default, rename = "statusCode")]
    pub status_code: String,
    /// Short name (`not_found`, `Duplicate`, `invalid_mime_type`).
    #[serde(default)]
    pub error: String,
    /// Human-readable text.
    #[serde(default)]
    pub message: String,
    /// Error code (`EntityTooLarge`, `InvalidMimeType`, ...), when given.
    #[serde(default)]
    pub code: Option<String>,
}

/// Why a Storage request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// Missing or invalid token.
    Unauthenticated(StorageErrorBody),
    /// RLS refused the operation.
    Forbidden(StorageErrorBody),
    /// No such object or bucket (or not visible to the caller).
    NotFound(StorageErrorBody),
    /// The object already exists.
    Duplicate(StorageErrorBody),
    /// Larger than the bucket allows.
    TooLarge(StorageErrorBody),
    /// MIME type not allowed by the bucket.
    UnsupportedType(StorageErrorBody),
    /// Another client error (e.g. an invalid key).
    Invalid(StorageErrorBody),
    /// Storage failed.
    Server {
        /// Semantic status.
        status: u16,
        /// Body.
        body: StorageErrorBody,
    },
    /// No HTTP answer.
    Network(String),
    /// A success answer of an unexpected shape.
    Decode(String),
}

impl StorageError {
    /// Maps an HTTP status and body of a failed request.
    pub fn from_response(http_status: u16, body: &str) -> StorageError {
        let body: StorageErrorBody =
            serde_json::from_str(body).unwrap_or_else(|_| StorageErrorBody {
                message: body.trim().to_owned(),
                ..StorageErrorBody::default()
            });
        let status = body.status_code.parse::<u16>().unwrap_or(http_status);
        match (status, body.code.as_deref()) {
            (_, Some("EntityTooLarge")) | (413, _) => StorageError::TooLarge(body),
            (_, Some("InvalidMimeType")) | (415, _) => StorageError::UnsupportedType(body),
            (401, _) => StorageError::Unauthenticated(body),
            (403, _) => StorageError::Forbidden(body),
            (404, _) => StorageError::NotFound(body),
            (409, _) => StorageError::Duplicate(body),
            (400..=499, _) => StorageError::Invalid(body),
            _ => StorageError::Server { status, body },
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Unauthenticated(_) => f.write_str("not signed in"),
            StorageError::Forbidden(_) => f.write_str("not allowed"),
            StorageError::NotFound(_) => f.write_str("file not found"),
            StorageError::Duplicate(_) => f.write_str("the file already exists"),
            StorageError::TooLarge(_) => f.write_str("the file is too large"),
            StorageError::UnsupportedType(b) => write!(f, "file type not allowed: {}", b.message),
            StorageError::Invalid(b) => write!(f, "invalid request: {}", b.message),
            StorageError::Server { status, body } => {
                write!(f, "storage error ({status}): {}", body.message)
            }
            StorageError::Network(m) => write!(f, "network error: {m}"),
            StorageError::Decode(m) => write!(f, "unexpected response: {m}"),
        }
    }
}

impl std::error::Error for StorageError {}

/// Upload progress.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Bytes sent.
    pub loaded: f64,
    /// Bytes in all, when known.
    pub total: Option<f64>,
}

impl Progress {
    /// Fraction done (0 to 1), when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        self.total
            .filter(|t| *t > 0.0)
            .map(|t| (self.loaded / t).clamp(0.0, 1.0))
    }
}

/// What an upload returns.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Uploaded {
    /// `<bucket>/<path>`.
    #[serde(rename = "Key")]
    pub key: String,
    /// Object id.
    #[serde(rename = "Id", default)]
    pub id: Option<String>,
}

/// `<bucket>/<path>` with each path segment percent-encoded.
pub fn object_path(bucket: &str, path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(encode_query_value).collect();
    format!("{}/{}", encode_query_value(bucket), encoded.join("/"))
}

/// A Storage client; requests carry the token of `tokens` when it has one.
#[derive(Clone, Debug)]
pub struct StorageClient {
    config: Rc<SupabaseConfig>,
    tokens: Option<TokenCell>,
}

impl StorageClient {
    /// A client for the project.
    pub fn new(config: SupabaseConfig, tokens: Option<TokenCell>) -> Self {
        Self {
            config: Rc::new(config),
            tokens,
        }
    }

    /// The headers of every request.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let bearer = self
            .tokens
            .as_ref()
            .and_then(TokenCell::get)
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| self.config.anon_key().to_owned());
        vec![
            ("apikey", self.config.anon_key().to_owned()),
            ("Authorization", format!("Bearer {bearer}")),
        ]
    }

    /// URL of an object for authenticated download.
    pub fn object_url(&self, bucket: &str, path: &str) -> String {
        format!(
            "{}/object/{}",
            self.config.storage_url(),
            object_path(bucket, path)
        )
    }

    /// Uploads `body` as a new object (never overwriting), reporting progress.
    pub async fn upload(
        &self,
        bucket: &str,
        path: &str,
        body: &Blob,
        content_type: &str,
        on_progress: impl Fn(Progress) + 'static,
    ) -> Result<Uploaded, StorageError> {
        let xhr = XmlHttpRequest::new().map_err(|e| StorageError::Network(js_error(&e)))?;
        xhr.open_with_async("POST", &self.object_url(bucket, path), true)
            .map_err(|e| StorageError::Network(js_error(&e)))?;
        for (name, value) in self.headers() {
            xhr.set_request_header(name, &value)
                .map_err(|e| StorageError::Network(js_error(&e)))?;
        }
        xhr.set_request_header("Content-Type", content_type)
            .map_err(|e| StorageError::Network(js_error(&e)))?;
        xhr.set_request_header("x-upsert", "false")
            .map_err(|e| StorageError::Network(js_error(&e)))?;

        let (done_tx, done_rx) = oneshot::channel::<Result<(), String>>();
        let done_tx = Rc::new(RefCell::new(Some(done_tx)));
        let finish = {
            let done_tx = done_tx.clone();
            move |outcome: Result<(), String>| {
                if let Some(tx) = done_tx.borrow_mut().take() {
                    let _ = tx.send(outcome);
                }
            }
        };
        let on_load = {
            let finish = finish.clone();
            Closure::<dyn FnMut()>::new(move || finish(Ok(())))
        };
        let on_error = {
            let finish = finish.clone();
            Closure::<dyn FnMut()>::new(move || finish(Err("the upload failed".to_owned())))
        };
        let on_abort =
            Closure::<dyn FnMut()>::new(move || finish(Err("the upload was aborted".to_owned())));
        let on_upload_progress =
            Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
                on_progress(Progress {
                    loaded: e.loaded(),
                    total: e.length_computable().then(|| e.total()),
                })
            });
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_upload_progress.as_ref().unchecked_ref()));
        }
        xhr.send_with_opt_blob(Some(body))
            .map_err(|e| StorageError::Network(js_error(&e)))?;
        let outcome = done_rx
            .await
            .unwrap_or_else(|_| Err("the upload was interrupted".to_owned()));
        // Detach before the closures are dropped at the end of this scope.
        xhr.set_onload(None);
        xhr.set_onerror(None);
        xhr.set_onabort(None);
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(None);
        }
        outcome.map_err(StorageError::Network)?;
        let status = xhr.status().unwrap_or(0);
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(StorageError::from_response(status, &text));
        }
        serde_json::from_str(&text).map_err(|e| StorageError::Decode(e.to_string()))
    }

    /// A URL that downloads the object without credentials for
    /// `expires_in` seconds (for `<img>`, `<audio>`, links).
    pub async fn signed_url(
        &self,
        bucket: &str,
        path: &str,
        expires_in: u32,
    ) -> Result<String, StorageError> {
        #[derive(Deserialize)]
        struct Signed {
            #[serde(rename = "signedURL")]
            signed_url: String,
        }
        let url = format!(
            "{}/object/sign/{}",
            self.config.storage_url(),
            object_path(bucket, path)
        );
        let (status, body) = self
            .send(
                "POST",
                &url,
                Some(json!({ "expiresIn": expires_in }).to_string()),
            )
            .await?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if !(200..300).contains(&status) {
            return Err(StorageError::from_response(status, &text));
        }
        let signed: Signed =
            serde_json::from_str(&text).map_err(|e| StorageError::Decode(e.to_string()))?;
        Ok(absolute_signed_url(
            &self.config.storage_url(),
            &signed.signed_url,
        ))
    }

    /// Downloads an object's bytes.
    pub async fn download(&self, bucket: &str, path: &str) -> Result<Vec<u8>, StorageError> {
        let (status, body) = self
            .send("GET", &self.object_url(bucket, path), None)
            .await?;
        if !(200..300).contains(&status) {
            return Err(StorageError::from_response(
                status,
                &String::from_utf8_lossy(&body),
            ));
        }
        Ok(body)
    }

    /// Deletes an object.
    pub async fn remove(&self, bucket: &str, path: &str) -> Result<(), StorageError> {
        let (status, body) = self
            .send("DELETE", &self.object_url(bucket, path), None)
            .await?;
        if !(200..300).contains(&status) {
            return Err(StorageError::from_response(
                status,
                &String::from_utf8_lossy(&body),
            ));
        }
        Ok(())
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        json_body: Option<String>,
    ) -> Result<(u16, Vec<u8>), StorageError> {
        use gloo_net::http::{Method, RequestBuilder};
        let method = match method {
            "POST" => Method::POST,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        };
        let mut builder = RequestBuilder::new(url).method(method);
        for (name, value) in self.headers() {
            builder = builder.header(name, &value);
        }
        let request = match json_body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body),
            None => builder.build(),
        }
        .map_err(|e| StorageError::Network(e.to_string()))?;
        let response = request
            .send()
            .await
            .map_err(|e| StorageError::Network(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .binary()
            .await
            .map_err(|e| StorageError::Network(e.to_string()))?;
        Ok((status, bytes))
    }
}

/// Storage answers signed URLs relative to its own base (`/object/sign/…`).
pub fn absolute_signed_url(storage_url: &str, signed: &str) -> String {
    if signed.starts_with("http://") || signed.starts_with("https://") {
        signed.to_owned()
    } else {
        format!("{storage_url}/{}", signed.trim_start_matches('/'))
    }
}

fn js_error(value: &wasm_bindgen::JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Bodies quoted from the wire reference, section 3.5.
    #[test]
    fn errors_read_the_semantic_status() {
        let cases = [
            (
                r#"{"statusCode":"404","error":"not_found","message":"Object not found"}"#,
                "NotFound",
            ),
            (
                r#"{"statusCode":"403","error":"Unauthorized","message":"new row violates row-level security policy"}"#,
                "Forbidden",
            ),
            (
                r#"{"statusCode":"413","error":"Payload too large","message":"The object exceeded the maximum allowed size","code":"EntityTooLarge"}"#,
                "TooLarge",
            ),
            (
                r#"{"statusCode":"415","error":"invalid_mime_type","message":"mime type image/png is not supported","code":"InvalidMimeType"}"#,
                "UnsupportedType",
            ),
            (
                r#"{"statusCode":"409","error":"Duplicate","message":"The resource already exists"}"#,
                "Duplicate",
            ),
            (
                r#"{"statusCode":"404","error":"Bucket not found","message":"Bucket not found"}"#,
                "NotFound",
            ),
            (
                r#"{"statusCode":"400","error":"InvalidKey","message":"Invalid key"}"#,
                "Invalid",
            ),
        ];
        for (body, expected) in cases {
            let e = StorageError::from_response(400, body);
            let name = format!("{e:?}");
            assert!(name.starts_with(expected), "{body} -> {name}");
        }
        assert!(matches!(
            StorageError::from_response(500, "oops"),
            StorageError::Server { status: 500, .. }
        ));
        assert!(matches!(
            StorageError::from_response(403, r#"{"message":"role"}"#),
            StorageError::Forbidden(_)
        ));
        let e = StorageError::from_response(
            401,
            r#"{"statusCode":"401","error":"Unauthorized","message":"jwt expired"}"#,
        );
        assert!(matches!(e, StorageError::Unauthenticated(_)));
    }

    #[test]
    fn paths_and_urls() {
        assert_eq!(object_path("b", "a/ü x.txt"), "b/a/%C3%BC%20x.txt");
        assert_eq!(
            absolute_signed_url("http://h/storage/v1", "/object/sign/b/k?token=t"),
            "http://h/storage/v1/object/sign/b/k?token=t"
        );
        assert_eq!(
            absolute_signed_url("http://h/storage/v1", "https://cdn/x"),
            "https://cdn/x"
        );
        let key = crate::supabase::jwt::tests::token_with(r#"{"role":"anon"}"#);
        let client = StorageClient::new(
            SupabaseConfig::parse(Some("http://h"), Some(&key), None).unwrap(),
            None,
        );
        assert_eq!(
            client.object_url("b", "w/s/f.png"),
            "http://h/storage/v1/object/b/w/s/f.png"
        );
        assert_eq!(client.headers()[1].1, format!("Bearer {key}"));
    }

    #[test]
    fn progress_fraction() {
        assert_eq!(
            Progress {
                loaded: 5.0,
                total: Some(10.0)
            }
            .fraction(),
            Some(0.5)
        );
        assert_eq!(
            Progress {
                loaded: 5.0,
                total: None
            }
            .fraction(),
            None
        );
        assert_eq!(
            Progress {
                loaded: 5.0,
                total: Some(0.0)
            }
            .fraction(),
            None
        );
    }
}
