//! Supabase Storage's error responses.
//!
//! Storage answers almost every error with HTTP 400 and puts the meaningful
//! status, as a string, in the body: `{"statusCode":"404","code":"NoSuchKey",
//! "error":"not_found","message":"Object not found"}`. Only internal errors
//! (500) and a few others (416 for ranges) keep their status on the wire.
//! The constructors here carry Storage's codes, short names and texts
//! (`src/internal/errors/codes.ts` in supabase/storage).

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;

/// An error answered to a Storage client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// HTTP status on the wire.
    pub http: StatusCode,
    /// The semantic status, sent as a string in `statusCode`.
    pub status_code: u16,
    /// Storage's error code (`NoSuchKey`, `InvalidKey`, ...).
    pub code: &'static str,
    /// The short name in `error` (defaults to the code).
    pub error: &'static str,
    /// Human-readable text.
    pub message: String,
}

/// The JSON body, in Storage's field order.
#[derive(Serialize)]
struct Body_<'a> {
    #[serde(rename = "statusCode")]
    status_code: String,
    code: &'a str,
    error: &'a str,
    message: &'a str,
}

/// Result with a [`StorageError`].
pub type StorageResult<T> = Result<T, StorageError>;

impl StorageError {
    /// An error whose wire status follows Storage's rule: 500 stays 500,
    /// everything else becomes 400.
    pub fn new(
        status_code: u16,
        code: &'static str,
        error: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let http = if status_code == 500 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        };
        StorageError {
            http,
            status_code,
            code,
            error,
            message: message.into(),
        }
    }

    /// The object does not exist or the caller may not see it.
    pub fn no_such_key() -> Self {
        Self::new(404, "NoSuchKey", "not_found", "Object not found")
    }

    /// The object row exists but its bytes are gone (the renderer's 404).
    pub fn blob_missing() -> Self {
        Self::new(404, "NoSuchKey", "Not found", "The resource was not found")
    }

    /// The bucket does not exist (or is private and the caller anonymous).
    pub fn no_such_bucket() -> Self {
        Self::new(404, "NoSuchBucket", "Bucket not found", "Bucket not found")
    }

    /// An invalid or missing token, or a refusal by a policy.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDenied", "Unauthorized", message)
    }

    /// Row-level security refused the write.
    pub fn rls_denied() -> Self {
        Self::access_denied("new row violates row-level security policy")
    }

    /// The object already exists and the upload is not an upsert.
    pub fn already_exists() -> Self {
        Self::new(
            409,
            "KeyAlreadyExists",
            "Duplicate",
            "The resource already exists",
        )
    }

    /// The upload is larger than the bucket or global limit.
    pub fn entity_too_large() -> Self {
        Self::new(
            413,
            "EntityTooLarge",
            "Payload too large",
            "The object exceeded the maximum allowed size",
        )
    }

    /// The upload's MIME type is not on the bucket's allow-list.
    pub fn invalid_mime_type(mime: &str) -> Self {
        Self::new(
            415,
            "InvalidMimeType",
            "invalid_mime_type",
            format!("mime type {mime} is not supported"),
        )
    }

    /// An object key Storage refuses; `reason` is appended as Storage's
    /// file backend does for traversal attempts.
    pub fn invalid_key(key: &str, reason: Option<&str>) -> Self {
        let message = match reason {
            Some(reason) => format!("Invalid key: {key} {reason}"),
            None => format!("Invalid key: {key}"),
        };
        Self::new(400, "InvalidKey", "InvalidKey", message)
    }

    /// A bucket name Storage refuses.
    pub fn invalid_bucket_name() -> Self {
        Self::new(
            400,
            "InvalidBucketName",
            "Invalid Input",
            "Bucket name invalid",
        )
    }

    /// A signed-URL token that does not verify (bad signature, expired).
    pub fn invalid_jwt(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidJWT", "InvalidJWT", message)
    }

    /// A signed-URL token for another object or another action.
    pub fn invalid_signature(message: Option<&str>) -> Self {
        Self::new(
            400,
            "InvalidSignature",
            "InvalidSignature",
            message.unwrap_or("Invalid signature"),
        )
    }

    /// A signed-URL token past its expiry.
    pub fn expired_signature() -> Self {
        Self::new(
            400,
            "ExpiredToken",
            "ExpiredToken",
            "The provided token has expired.",
        )
    }

    /// A malformed request (body, parameters).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidRequest", "InvalidRequest", message)
    }

    /// A request parameter out of range.
    pub fn invalid_parameter(name: &str) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            "InvalidParameter",
            format!("Invalid Parameter {name}"),
        )
    }

    /// An upload without a body or file part.
    pub fn no_content(message: Option<&str>) -> Self {
        Self::new(
            400,
            "InvalidRequest",
            "InvalidRequest",
            message.unwrap_or("No content provided"),
        )
    }

    /// A `Range` header that cannot be satisfied: this one keeps 416.
    pub fn invalid_range() -> Self {
        StorageError {
            http: StatusCode::RANGE_NOT_SATISFIABLE,
            ..Self::new(
                416,
                "InvalidRange",
                "invalid_range",
                "invalid range provided",
            )
        }
    }

    /// No route for this method and path.
    pub fn route_not_found(method: &str, uri: &str) -> Self {
        StorageError {
            http: StatusCode::NOT_FOUND,
            ..Self::new(
                404,
                "InvalidRequest",
                "Not Found",
                format!("Route {method}:{uri} not found"),
            )
        }
    }

    /// Something failed inside devstack (database, file system).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", "Internal", message)
    }

    /// The database did not answer in time (Storage's 544).
    pub fn database_timeout() -> Self {
        StorageError {
            http: StatusCode::from_u16(544).expect("544 is a valid status"),
            ..Self::new(
                544,
                "DatabaseTimeout",
                "DatabaseTimeout",
                "The connection to the database timed out",
            )
        }
    }

    /// Maps a database error as Storage's `DBError.fromDBError` does.
    pub fn from_db(err: &tokio_postgres::Error) -> Self {
        let Some(db) = err.as_db_error() else {
            return Self::internal(format!("database error: {err}"));
        };
        match db.code().code() {
            "42501" => {
                if db.message().contains("row-level security") {
                    Self::rls_denied()
                } else {
                    Self::access_denied(db.message())
                }
            }
            "23505" => Self::new(
                409,
                "ResourceAlreadyExists",
                "Duplicate",
                "The resource already exists",
            ),
            "57014" => Self::database_timeout(),
            "22P02" => Self::new(400, "InvalidParameter", "InvalidParameter", db.message()),
            code => Self::new(
                500,
                "DatabaseError",
                "DatabaseError",
                format!("database error, code: {code}"),
            ),
        }
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::to_string(&Body_ {
            status_code: self.status_code.to_string(),
            code: self.code,
            error: self.error,
            message: &self.message,
        })
        .expect("error bodies serialize");
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.http;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

impl axum::response::IntoResponse for StorageError {
    fn into_response(self) -> Response<Body> {
        StorageError::into_response(self)
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status_code, self.message)
    }
}

impl std::error::Error for StorageError {}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(e: StorageError) -> (u16, serde_json::Value) {
        let response = e.into_response();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn semantic_status_lives_in_the_body() {
        let (status, body) = body_of(StorageError::no_such_key()).await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            serde_json::json!({"statusCode": "404", "code": "NoSuchKey",
                                "error": "not_found", "message": "Object not found"})
        );
    }

    #[tokio::test]
    async fn internal_errors_and_ranges_keep_their_status() {
        assert_eq!(body_of(StorageError::internal("x")).await.0, 500);
        let (status, body) = body_of(StorageError::invalid_range()).await;
        assert_eq!(status, 416);
        assert_eq!(body["statusCode"], "416");
    }

    #[test]
    fn mime_and_size_errors_carry_storage_texts() {
        let e = StorageError::invalid_mime_type("image/bmp");
        assert_eq!(e.message, "mime type image/bmp is not supported");
        assert_eq!(e.error, "invalid_mime_type");
        assert_eq!(StorageError::entity_too_large().status_code, 413);
    }
}
