//! CORS for browser clients on other origins. Any origin is allowed; a
//! preflight's requested headers are reflected (as PostgREST and the cors
//! plugin of Supabase's Kong gateway do) and cached for a day. Responses
//! expose PostgREST's headers plus those Storage answers with (the
//! self-hosted Envoy gateway exposes every header): browser code reads
//! `ETag`, `Content-Disposition`, `Content-Range`… of a download only if
//! they are listed here.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;

/// Methods a preflight allows.
pub const ALLOWED_METHODS: &str = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD";

/// Request headers allowed when a preflight does not list any: the ones
/// supabase-js (postgrest-js, storage-js) and the app send.
pub const DEFAULT_ALLOWED_HEADERS: &str = "authorization, apikey, x-client-info, content-type, \
     content-profile, accept-profile, prefer, range, x-retry-count, x-upsert, x-metadata, \
     cache-control, if-none-match, x-supabase-api-version";

/// Response headers scripts may read: PostgREST's, then Storage's
/// (downloads, ranges, conditional requests), then Auth's (the API
/// version auth-js reads error codes by, admin pagination). An explicit list rather than
/// `*`, which would not cover credentialed requests.
pub const EXPOSED_HEADERS: &str = "Content-Encoding, Content-Location, Content-Range, \
     Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied, \
     Proxy-Status, Accept-Ranges, Cache-Control, Content-Disposition, Content-Length, ETag, \
     Expires, Last-Modified, X-Supabase-Api-Version, X-Total-Count, Link, X-Sb-Error-Code";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<String> {
        list.split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect()
    }

    #[test]
    fn storage_response_headers_are_exposed() {
        let exposed = names(EXPOSED_HEADERS);
        for h in [
            "etag",
            "content-disposition",
            "content-length",
            "content-range",
            "last-modified",
            "expires",
            "cache-control",
            "content-type",
            "accept-ranges",
        ] {
            assert!(exposed.contains(&h.to_string()), "{h} not exposed");
        }
        let mut unique = exposed.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), exposed.len(), "no name twice");
    }

    #[test]
    fn a_preflight_reflects_the_requested_headers() {
        let mut request = HeaderMap::new();
        request.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("authorization, x-upsert, x-custom"),
        );
        let response = preflight(&request);
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_HEADERS],
            "authorization, x-upsert, x-custom"
        );
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], ALLOWED_METHODS);
        assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "86400");
    }

    #[test]
    fn without_requested_headers_the_storage_js_ones_are_allowed() {
        let response = preflight(&HeaderMap::new());
        let allowed = names(
            response.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
                .to_str()
                .unwrap(),
        );
        for h in [
            "authorization",
            "apikey",
            "x-client-info",
            "x-upsert",
            "x-metadata",
            "cache-control",
            "content-type",
            "range",
            "if-none-match",
        ] {
            assert!(allowed.contains(&h.to_string()), "{h} not allowed");
        }
        for m in ["GET", "HEAD", "POST", "PUT", "DELETE"] {
            assert!(ALLOWED_METHODS.split(", ").any(|x| x == m), "{m}");
        }
    }
}
