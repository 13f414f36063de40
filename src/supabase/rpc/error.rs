//! PostgREST error responses as a typed error.
//!
//! PostgREST answers a failed call with an HTTP status derived from the
//! SQLSTATE (or from a `PTxyz` code, which sets status `xyz` directly) and a
//! JSON body `{"code","message","details","hint"}`. [`RpcError::from_response`]
//! turns both into one variant per thing a caller can act on.
//!
//! ```
//! use workflow_chat::supabase::rpc::RpcError;
//! let body = r#"{"code":"42501","message":"permission denied","details":null,"hint":null}"#;
//! let error = RpcError::from_response(403, body);
//! assert!(matches!(error, RpcError::Forbidden(_)));
//! assert_eq!(error.detail().unwrap().code, "42501");
//! assert!(!error.is_transient());
//! ```

use std::fmt;

use serde::Deserialize;

/// The body PostgREST sends with an error (or what could be read of it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// SQLSTATE (`23505`), PostgREST code (`PGRST202`) or a custom `PTxyz`.
    #[serde(default)]
    pub code: String,
    /// Human-readable message (a `RAISE`'s text).
    #[serde(default)]
    pub message: String,
    /// Optional detail (`RAISE ... USING DETAIL`).
    #[serde(default)]
    pub details: Option<String>,
    /// Optional hint (`RAISE ... USING HINT`).
    #[serde(default)]
    pub hint: Option<String>,
}

impl ErrorBody {
    /// Reads a body; text that is not the JSON error shape becomes the message,
    /// as postgrest-js does.
    pub fn parse(body: &str) -> ErrorBody {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(parsed) => parsed,
            Err(_) => ErrorBody {
                message: body.trim().to_owned(),
                ..ErrorBody::default()
            },
        }
    }
}

/// Why a database function call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcError {
    /// No valid token: missing, expired, revoked (HTTP 401, `PGRST30x`).
    Unauthenticated(ErrorBody),
    /// Valid token, but the caller may not do this (HTTP 403, `42501`).
    Forbidden(ErrorBody),
    /// The arguments were refused (HTTP 400, 422 and other 4xx).
    InvalidInput(ErrorBody),
    /// The function or the thing it addresses does not exist (HTTP 404).
    NotFound(ErrorBody),
    /// The call conflicts with the current state (HTTP 409, unique or foreign key).
    Conflict(ErrorBody),
    /// Too many requests (HTTP 429).
    RateLimited(ErrorBody),
    /// The request never got an HTTP answer (offline, DNS, CORS, refused).
    Network(String),
    /// No answer within the client's time limit.
    Timeout,
    /// The server failed (HTTP 5xx or an unexpected status).
    Server {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// A success response whose body does not have the expected shape.
    Decode(String),
}

impl RpcError {
    /// Maps an HTTP status and body of a non-2xx response.
    pub fn from_response(status: u16, body: &str) -> RpcError {
        let body = ErrorBody::parse(body);
        // JWT failures are authentication problems whatever status a proxy
        // in front of PostgREST may have put on them.
        if matches!(body.code.as_str(), "PGRST301" | "PGRST302" | "PGRST303") {
            return RpcError::Unauthenticated(body);
        }
        match status {
            401 => RpcError::Unauthenticated(body),
            403 => RpcError::Forbidden(body),
            404 => RpcError::NotFound(body),
            409 => RpcError::Conflict(body),
            429 => RpcError::RateLimited(body),
            400..=499 => RpcError::InvalidInput(body),
            _ => RpcError::Server { status, body },
        }
    }

    /// The server's error body, when there was one.
    pub fn detail(&self) -> Option<&ErrorBody> {
        match self {
            RpcError::Unauthenticated(b)
            | RpcError::Forbidden(b)
            | RpcError::InvalidInput(b)
            | RpcError::NotFound(b)
            | RpcError::Conflict(b)
            | RpcError::RateLimited(b)
            | RpcError::Server { body: b, .. } => Some(b),
            RpcError::Network(_) | RpcError::Timeout | RpcError::Decode(_) => None,
        }
    }

    /// Whether trying the same request again later may succeed. Only
    /// idempotent calls are ever retried automatically.
    pub fn is_transient(&self) -> bool {
        match self {
            RpcError::Network(_) | RpcError::Timeout | RpcError::RateLimited(_) => true,
            // 502/503/504: a proxy or the database connection pool; 520: what
            // PostgREST reports for an unknown upstream failure.
            RpcError::Server { status, body } => {
                matches!(status, 502 | 503 | 504 | 520)
                    || matches!(
                        body.code.as_str(),
                        "PGRST000" | "PGRST001" | "PGRST002" | "PGRST003"
                    )
            }
            _ => false,
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_body = |f: &mut fmt::Formatter<'_>, what: &str, b: &ErrorBody| {
            if b.message.is_empty() {
                f.write_str(what)
            } else {
                write!(f, "{what}: {}", b.message)
            }
        };
        match self {
            RpcError::Unauthenticated(b) => with_body(f, "not signed in", b),
            RpcError::Forbidden(b) => with_body(f, "not allowed", b),
            RpcError::InvalidInput(b) => with_body(f, "invalid input", b),
            RpcError::NotFound(b) => with_body(f, "not found", b),
            RpcError::Conflict(b) => with_body(f, "conflict", b),
            RpcError::RateLimited(b) => with_body(f, "too many requests", b),
            RpcError::Network(m) => write!(f, "network error: {m}"),
            RpcError::Timeout => f.write_str("the server did not answer in time"),
            RpcError::Server { status, body } => {
                with_body(f, &format!("server error (HTTP {status})"), body)
            }
            RpcError::Decode(m) => write!(f, "unexpected response: {m}"),
        }
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str) -> String {
        format!(r#"{{"code":"{code}","message":"m","details":"d","hint":null}}"#)
    }

    type Case = (u16, &'static str, fn(&RpcError) -> bool);

    #[test]
    fn status_table() {
        let cases: &[Case] = &[
            (401, "42501", |e| matches!(e, RpcError::Unauthenticated(_))),
            (403, "42501", |e| matches!(e, RpcError::Forbidden(_))),
            (400, "P0001", |e| matches!(e, RpcError::InvalidInput(_))),
            (400, "22P02", |e| matches!(e, RpcError::InvalidInput(_))),
            (422, "PT422", |e| matches!(e, RpcError::InvalidInput(_))),
            (405, "25006", |e| matches!(e, RpcError::InvalidInput(_))),
            (404, "PGRST202", |e| matches!(e, RpcError::NotFound(_))),
            (404, "PT404", |e| matches!(e, RpcError::NotFound(_))),
            (409, "23505", |e| matches!(e, RpcError::Conflict(_))),
            (409, "23503", |e| matches!(e, RpcError::Conflict(_))),
            (429, "PT429", |e| matches!(e, RpcError::RateLimited(_))),
            (500, "XX000", |e| {
                matches!(e, RpcError::Server { status: 500, .. })
            }),
            (503, "PGRST001", |e| {
                matches!(e, RpcError::Server { status: 503, .. })
            }),
            // A JWT error is authentication even behind an odd status.
            (400, "PGRST303", |e| {
                matches!(e, RpcError::Unauthenticated(_))
            }),
        ];
        for (status, code, check) in cases {
            let e = RpcError::from_response(*status, &body(code));
            assert!(check(&e), "{status} {code} -> {e:?}");
            assert_eq!(e.detail().unwrap().code, *code);
        }
    }

    #[test]
    fn keeps_the_whole_body() {
        let e = RpcError::from_response(
            400,
            r#"{"code":"P0001","message":"I refuse!","details":"Pretty simple","hint":"There is nothing you can do."}"#,
        );
        assert_eq!(
            e,
            RpcError::InvalidInput(ErrorBody {
                code: "P0001".into(),
                message: "I refuse!".into(),
                details: Some("Pretty simple".into()),
                hint: Some("There is nothing you can do.".into()),
            })
        );
        assert_eq!(e.to_string(), "invalid input: I refuse!");
    }

    #[test]
    fn non_json_body_becomes_the_message() {
        let e = RpcError::from_response(502, "<html>Bad Gateway</html>\n");
        let RpcError::Server { status, body } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*status, 502);
        assert_eq!(body.message, "<html>Bad Gateway</html>");
        assert!(e.is_transient());
        // Minimal verbosity bodies lack details and hint.
        let e = RpcError::from_response(400, r#"{"code":"22023","message":"x"}"#);
        assert_eq!(e.detail().unwrap().details, None);
    }

    #[test]
    fn transient_errors() {
        assert!(RpcError::Timeout.is_transient());
        assert!(RpcError::Network("offline".into()).is_transient());
        assert!(RpcError::from_response(429, "").is_transient());
        assert!(RpcError::from_response(503, "").is_transient());
        assert!(RpcError::from_response(504, &body("PGRST003")).is_transient());
        assert!(!RpcError::from_response(500, &body("XX000")).is_transient());
        assert!(!RpcError::from_response(409, &body("23505")).is_transient());
        assert!(!RpcError::from_response(401, &body("PGRST303")).is_transient());
        assert!(!RpcError::Decode("x".into()).is_transient());
    }
}
