//! Supabase Auth's error responses.
//!
//! GoTrue answers in one of two shapes, chosen by the request header
//! `X-Supabase-Api-Version` (auth-js sends `2024-01-01` on every call):
//! `{"code":"<error_code>","message":"…"}` with that header echoed, or, when
//! the header is absent, the older `{"code":<status>,"error_code":"…",
//! "msg":"…"}`. Codes and texts are GoTrue's (`internal/api/apierrors`).

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

/// The API version auth-js speaks; requests carrying it (or a later date)
/// get the newer error shape.
pub const API_VERSION: &str = "2024-01-01";

/// Which shape errors take for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// No `X-Supabase-Api-Version` (or one older than 2024-01-01).
    Legacy,
    /// `X-Supabase-Api-Version: 2024-01-01` or later.
    V20240101,
}

impl ApiVersion {
    /// The version a request asked for.
    pub fn from_header(value: Option<&str>) -> ApiVersion {
        // Dates in ISO format compare as text.
        match value.map(str::trim) {
            Some(v) if v.len() == 10 && v >= API_VERSION => ApiVersion::V20240101,
            _ => ApiVersion::Legacy,
        }
    }
}

/// An error answered by Auth.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// GoTrue's `error_code`.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// Extra members of the body (e.g. `weak_password`).
    pub extra: Option<(&'static str, Value)>,
}

impl AuthError {
    /// An error with GoTrue's code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AuthError {
        AuthError {
            status,
            code,
            message: message.into(),
            extra: None,
        }
    }

    /// 400 `validation_failed`.
    pub fn validation(message: impl Into<String>) -> AuthError {
        AuthError::new(StatusCode::BAD_REQUEST, "validation_failed", message)
    }

    /// 400 `bad_json`.
    pub fn bad_json(detail: impl std::fmt::Display) -> AuthError {
        AuthError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("Could not parse request body as JSON: {detail}"),
        )
    }

    /// 400 `invalid_credentials`, the one answer for an unknown email, a
    /// wrong password and a user without a password.
    pub fn invalid_credentials() -> AuthError {
        AuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_credentials",
            "Invalid login credentials",
        )
    }

    /// 401 `no_authorization`.
    pub fn no_authorization() -> AuthError {
        AuthError::new(
            StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a valid Bearer token",
        )
    }

    /// 403 `bad_jwt` with GoTrue's wording.
    pub fn bad_jwt(detail: impl std::fmt::Display) -> AuthError {
        AuthError::new(
            StatusCode::FORBIDDEN,
            "bad_jwt",
            format!("invalid JWT: {detail}"),
        )
    }

    /// 403 `not_admin`.
    pub fn not_admin() -> AuthError {
        AuthError::new(StatusCode::FORBIDDEN, "not_admin", "User not allowed")
    }

    /// 404 `user_not_found` (admin routes).
    pub fn user_not_found() -> AuthError {
        AuthError::new(StatusCode::NOT_FOUND, "user_not_found", "User not found")
    }

    /// 429 `over_request_rate_limit`.
    pub fn rate_limited() -> AuthError {
        AuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "over_request_rate_limit",
            "Request rate limit reached",
        )
    }

    /// 500 `unexpected_failure`, with a message that names nothing internal.
    pub fn unexpected(message: impl Into<String>) -> AuthError {
        AuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_failure",
            message,
        )
    }

    /// Adds a member to the body.
    pub fn with(mut self, name: &'static str, value: Value) -> AuthError {
        self.extra = Some((name, value));
        self
    }

    /// The JSON body in the shape `version` asks for.
    pub fn body(&self, version: ApiVersion) -> Value {
        let mut body = match version {
            ApiVersion::V20240101 => json!({ "code": self.code, "message": self.message }),
            ApiVersion::Legacy => json!({
                "code": self.status.as_u16(),
                "error_code": self.code,
                "msg": self.message,
            }),
        };
        if let Some((name, value)) = &self.extra {
            body[*name] = value.clone();
        }
        body
    }

    /// The HTTP response, with `x-sb-error-code` as GoTrue sends it.
    pub fn into_response(self, version: ApiVersion) -> Response<Body> {
        let body = serde_json::to_vec(&self.body(version)).expect("error body serializes");
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if let Ok(code) = HeaderValue::from_str(self.code) {
            headers.insert("x-sb-error-code", code);
        }
        response
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes() {
        let e = AuthError::invalid_credentials();
        assert_eq!(
            e.body(ApiVersion::V20240101),
            json!({"code": "invalid_credentials", "message": "Invalid login credentials"})
        );
        assert_eq!(
            e.body(ApiVersion::Legacy),
            json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
        );
    }

    #[test]
    fn version_from_header() {
        assert_eq!(
            ApiVersion::from_header(Some("2024-01-01")),
            ApiVersion::V20240101
        );
        assert_eq!(
            ApiVersion::from_header(Some("2025-06-30")),
            ApiVersion::V20240101
        );
        assert_eq!(
            ApiVersion::from_header(Some("2023-12-31")),
            ApiVersion::Legacy
        );
        assert_eq!(ApiVersion::from_header(Some("soon")), ApiVersion::Legacy);
        assert_eq!(ApiVersion::from_header(None), ApiVersion::Legacy);
    }

    #[test]
    fn extra_members_join_the_body() {
        let e = AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            "too short",
        )
        .with("weak_password", json!({"reasons": ["length"]}));
        assert_eq!(
            e.body(ApiVersion::V20240101)["weak_password"]["reasons"][0],
            "length"
        );
    }
}
