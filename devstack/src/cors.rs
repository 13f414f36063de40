//! CORS for browser clients on other origins, with PostgREST's policy
//! (`src/PostgREST/Cors.hs`): any origin, the requested headers reflected,
//! a one-day preflight cache.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;

/// Methods a preflight allows.
pub const ALLOWED_METHODS: &str = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD";

/// Request headers allowed when a preflight does not list any: the ones
/// supabase-js sends.
pub const DEFAULT_ALLOWED_HEADERS: &str = "authorization, apikey, x-client-info, content-type, \
     content-profile, accept-profile, prefer, range, x-retry-count, x-upsert, cache-control";

/// Response headers scripts may read.
pub const EXPOSED_HEADERS: &str = "Content-Encoding, Content-Location, Content-Range, \
     Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied, \
     Proxy-Status";

/// Answers preflights and adds CORS headers to every response of a request
/// that carries an `Origin`.
pub async fn cors(request: Request, next: Next) -> Response<Body> {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    if request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return preflight(request.headers());
    }
    let mut response = next.run(request).await;
    if has_origin {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    response
}

/// The answer to an `OPTIONS` preflight.
pub fn preflight(request_headers: &HeaderMap) -> Response<Body> {
    let allow_headers = request_headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static(DEFAULT_ALLOWED_HEADERS));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS)
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers)
        .header(header::ACCESS_CONTROL_MAX_AGE, "86400")
        .body(Body::empty())
        .expect("static preflight response")
}
