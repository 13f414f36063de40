//! PostgREST's error responses: the `{code, message, details, hint}` body,
//! the SQLSTATE-to-HTTP table (`mapSQLtoHTTP` in PostgREST's `Error.hs`) and
//! the custom statuses a function can raise.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, Response, StatusCode};
use serde::Serialize;
use serde_json::Value;

use super::jwt::JwtError;
use crate::gateway::GatewayError;

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The JSON body (boxed: errors travel in `Result`s on hot paths).
    pub body: Box<ErrorBody>,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// A refusal by the API gateway in front of PostgREST, which answers
    /// with its own body.
    pub gateway: Option<GatewayError>,
}

/// PostgREST's error body (field order as PostgREST writes it).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorBody {
    /// SQLSTATE or `PGRSTxxx`.
    pub code: String,
    /// Free-form details.
    pub details: Option<String>,
    /// A hint.
    pub hint: Option<String>,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// An error with PostgREST's fields.
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        details: Option<String>,
        hint: Option<String>,
    ) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                code: code.to_string(),
                details,
                hint,
                message: message.into(),
            }),
            headers: Vec::new(),
            gateway: None,
        }
    }

    /// A refusal by the API gateway in front of PostgREST.
    pub fn gateway(err: GatewayError) -> Self {
        ApiError {
            gateway: Some(err),
            ..ApiError::new(StatusCode::UNAUTHORIZED, "", err.message(), None, None)
        }
    }

    /// A refused token: 401 with `WWW-Authenticate` as PostgREST sends it.
    pub fn jwt(err: &JwtError) -> Self {
        let message = err.to_string();
        let mut e = ApiError::new(
            StatusCode::UNAUTHORIZED,
            err.code(),
            message.clone(),
            err.details().map(String::from),
            None,
        );
        e.headers.push((
            "www-authenticate".into(),
            format!("Bearer error=\"invalid_token\", error_description={message:?}"),
        ));
        e
    }

    /// An error raised by the database while serving a caller; `authed` is
    /// whether the caller's role differs from the anonymous role.
    pub fn from_db(
        code: &str,
        message: &str,
        detail: Option<&str>,
        hint: Option<&str>,
        authed: bool,
    ) -> Self {
        if code == "PGRST" {
            return raise_pgrst(message, detail);
        }
        let status = status_for_sqlstate(code, message, authed);
        let mut e = ApiError::new(
            status,
            code,
            message,
            detail.map(String::from),
            hint.map(String::from),
        );
        if status == StatusCode::UNAUTHORIZED {
            e.headers.push(("www-authenticate".into(), "Bearer".into()));
        }
        e
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Body> {
        let body = if let Some(gateway) = self.gateway {
            serde_json::to_vec(&gateway.body())
        } else {
            serde_json::to_vec(&*self.body)
        }
        .expect("error body serializes");
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if self.gateway.is_none() {
            if let Ok(v) = HeaderValue::from_str(&format!("PostgREST; error={}", self.body.code)) {
                headers.insert(HeaderName::from_static("proxy-status"), v);
            }
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.insert(n, v);
            }
        }
        response
    }
}

/// PostgREST's SQLSTATE to HTTP status mapping.
pub fn status_for_sqlstate(code: &str, message: &str, authed: bool) -> StatusCode {
    let s = |n: u16| StatusCode::from_u16(n).expect("valid status");
    let prefix = |p: &str| code.starts_with(p);
    match code {
        "23503" | "23505" => s(409),
        "25006" => s(405),
        "21000" => {
            if message.ends_with("requires a WHERE clause") {
                s(400)
            } else {
                s(500)
            }
        }
        "22023" => {
            if message.starts_with("role") && message.ends_with("does not exist") {
                s(401)
            } else {
                s(400)
            }
        }
        "53400" => s(500),
        "57P01" => s(503),
        "P0001" => s(400),
        "42883" => {
            if message.starts_with("function xmlagg(") {
                s(406)
            } else {
                s(404)
            }
        }
        "42P01" => s(404),
        "42P17" => s(500),
        "42501" => {
            if authed {
                s(403)
            } else {
                s(401)
            }
        }
        _ if prefix("08") => s(503),
        _ if prefix("09") => s(500),
        _ if prefix("0L") || prefix("0P") => s(403),
        _ if prefix("25") => s(500),
        _ if prefix("28") => s(403),
        _ if prefix("2D") || prefix("38") || prefix("39") || prefix("3B") || prefix("40") => s(500),
        _ if prefix("53") => s(503),
        _ if prefix("54") || prefix("55") || prefix("57") || prefix("58") => s(500),
        _ if prefix("F0") || prefix("HV") || prefix("XX") => s(500),
        _ if prefix("P0") => s(500),
        _ if prefix("PT") => code[2..]
            .parse::<u16>()
            .ok()
            .and_then(|n| StatusCode::from_u16(n).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        _ => s(400),
    }
}

/// `RAISE SQLSTATE 'PGRST' USING MESSAGE = '{json}', DETAIL = '{json}'`:
/// the function chooses status, headers and body.
fn raise_pgrst(message: &str, detail: Option<&str>) -> ApiError {
    let parse_error = |details: String, hint: &str| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PGRST121",
            "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
            Some(details),
            Some(hint.to_string()),
        )
    };
    let msg_hint = "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.";
    let det_hint = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
    let Some(Value::Object(msg)) = serde_json::from_str::<Value>(message).ok() else {
        return parse_error(
            format!("Invalid JSON value for MESSAGE: '{message}'"),
            msg_hint,
        );
    };
    let (Some(code), Some(text)) = (
        msg.get("code").and_then(Value::as_str),
        msg.get("message").and_then(Value::as_str),
    ) else {
        return parse_error(
            format!("Invalid JSON value for MESSAGE: '{message}'"),
            msg_hint,
        );
    };
    let Some(detail) = detail else {
        return parse_error("DETAIL is missing in the RAISE statement".into(), det_hint);
    };
    let parsed = serde_json::from_str::<Value>(detail).ok();
    let Some(Value::Object(det)) = parsed else {
        return parse_error(
            format!("Invalid JSON value for DETAIL: '{detail}'"),
            det_hint,
        );
    };
    let status = det
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|n| StatusCode::from_u16(n as u16).ok());
    let (Some(status), Some(Value::Object(headers))) = (status, det.get("headers")) else {
        return parse_error(
            format!("Invalid JSON value for DETAIL: '{detail}'"),
            det_hint,
        );
    };
    let mut e = ApiError::new(
        status,
        code,
        text,
        msg.get("details").and_then(Value::as_str).map(String::from),
        msg.get("hint").and_then(Value::as_str).map(String::from),
    );
    for (name, value) in headers {
        if let Some(v) = value.as_str() {
            e.headers.push((name.clone(), v.to_string()));
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: &str) -> u16 {
        status_for_sqlstate(code, "boom", true).as_u16()
    }

    #[test]
    fn table_rows_map_as_postgrest_maps_them() {
        assert_eq!(status("08006"), 503);
        assert_eq!(status("09000"), 500);
        assert_eq!(status("0L000"), 403);
        assert_eq!(status("0P000"), 403);
        assert_eq!(status("23503"), 409);
        assert_eq!(status("23505"), 409);
        assert_eq!(status("25006"), 405);
        assert_eq!(status("25P02"), 500);
        assert_eq!(status("28000"), 403);
        assert_eq!(status("2D000"), 500);
        assert_eq!(status("38000"), 500);
        assert_eq!(status("39000"), 500);
        assert_eq!(status("3B000"), 500);
        assert_eq!(status("40001"), 500);
        assert_eq!(status("53400"), 500);
        assert_eq!(status("53100"), 503);
        assert_eq!(status("54000"), 500);
        assert_eq!(status("55000"), 500);
        assert_eq!(status("57P01"), 503);
        assert_eq!(status("57014"), 500);
        assert_eq!(status("58000"), 500);
        assert_eq!(status("F0000"), 500);
        assert_eq!(status("HV000"), 500);
        assert_eq!(status("P0001"), 400);
        assert_eq!(status("P0002"), 500);
        assert_eq!(status("XX000"), 500);
        assert_eq!(status("42883"), 404);
        assert_eq!(status("42P01"), 404);
        assert_eq!(status("42P17"), 500);
        assert_eq!(status("PT402"), 402);
        assert_eq!(status("PTabc"), 500);
        assert_eq!(status("22P02"), 400);
        assert_eq!(status("23502"), 400);
        assert_eq!(status("23514"), 400);
        assert_eq!(status("42703"), 400);
    }

    #[test]
    fn special_messages_change_the_status() {
        assert_eq!(
            status_for_sqlstate("21000", "UPDATE requires a WHERE clause", true).as_u16(),
            400
        );
        assert_eq!(
            status_for_sqlstate("21000", "more than one row", true).as_u16(),
            500
        );
        assert_eq!(
            status_for_sqlstate("22023", "role \"x\" does not exist", true).as_u16(),
            401
        );
        assert_eq!(
            status_for_sqlstate("22023", "bad value", true).as_u16(),
            400
        );
        assert_eq!(
            status_for_sqlstate("42883", "function xmlagg(x) does not exist", true).as_u16(),
            406
        );
    }

    #[test]
    fn insufficient_privilege_depends_on_the_caller() {
        assert_eq!(status_for_sqlstate("42501", "denied", false).as_u16(), 401);
        assert_eq!(status_for_sqlstate("42501", "denied", true).as_u16(), 403);
    }

    #[test]
    fn raise_pgrst_controls_the_response() {
        let e = ApiError::from_db(
            "PGRST",
            r#"{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade your plan"}"#,
            Some(r#"{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}"#),
            None,
            true,
        );
        assert_eq!(e.status.as_u16(), 402);
        assert_eq!(e.body.code, "123");
        assert_eq!(e.body.hint.as_deref(), Some("Upgrade your plan"));
        assert_eq!(
            e.headers,
            vec![("X-Powered-By".to_string(), "Nerd Rage".to_string())]
        );
        let bad = ApiError::from_db("PGRST", "not json", None, None, true);
        assert_eq!(bad.body.code, "PGRST121");
    }
}
