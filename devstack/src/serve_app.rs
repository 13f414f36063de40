//! Serving the built app (`dist/`) at `/`, with a fallback to `index.html`
//! for client-side routes, and the Supabase URL and anon key handed to the app
//! through `<meta>` tags so one build runs against any stack.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, Response, StatusCode};

use crate::server::SharedState;

/// Serves a file of the dist folder, or `index.html` with the runtime
/// configuration injected.
pub async fn serve(State(state): State<SharedState>, request: Request) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return plain(StatusCode::NOT_FOUND, "Not found\n");
    }
    let dist = &state.dist_dir;
    let index = dist.join("index.html");
    if !index.is_file() {
        return missing_dist_page(dist);
    }
    let url = origin_url(&request).unwrap_or_else(|| state.url.clone());
    if let Some(file) = safe_join(dist, request.uri().path()) {
        if file.is_file() && file != index {
            return match tokio::fs::read(&file).await {
                Ok(bytes) => Response::builder()
                    .header(header::CONTENT_TYPE, content_type(&file))
                    .header(header::CACHE_CONTROL, "no-cache")
                    .body(Body::from(bytes))
                    .expect("static file response"),
                Err(_) => plain(StatusCode::NOT_FOUND, "Not found\n"),
            };
        }
        if file != index && file.extension().is_some() && !file.is_dir() {
            // A missing asset (a path with an extension) is a 404, not the app.
            return plain(StatusCode::NOT_FOUND, "Not found\n");
        }
    }
    match tokio::fs::read_to_string(&index).await {
        Ok(html) => Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from(inject_config(&html, &url, &state.keys.anon)))
            .expect("index response"),
        Err(_) => missing_dist_page(dist),
    }
}

/// The origin the browser used (so the app talks to the same origin it was
/// loaded from), taken from the `Host` header.
fn origin_url(request: &Request) -> Option<String> {
    let host = request.headers().get(header::HOST)?.to_str().ok()?;
    if host.is_empty() || host.contains(['/', ' ', '"', '<', '>']) {
        return None;
    }
    Some(format!("http://{host}"))
}

/// Inserts the `supabase-url` and `supabase-anon-key` meta tags before
/// `</head>` (or at the start when the page has no head).
pub fn inject_config(html: &str, url: &str, anon_key: &str) -> String {
    let tags = format!(
        "<meta name=\"supabase-url\" content=\"{}\">\n<meta name=\"supabase-anon-key\" content=\"{}\">\n",
        escape_attr(url),
        escape_attr(anon_key)
    );
    match html.find("</head>") {
        Some(at) => format!("{}{}{}", &html[..at], tags, &html[at..]),
        None => format!("{tags}{html}"),
    }
}

fn escape_attr(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Maps a URL path to a file under `root`, refusing anything that would
/// leave it.
pub fn safe_join(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for part in Path::new(url_path.trim_start_matches('/')).components() {
        match part {
            Component::Normal(name) => path.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(path)
}

/// Content type by file extension (what a trunk build produces).
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "webm" => "audio/webm",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn missing_dist_page(dist: &Path) -> Response<Body> {
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>devstack: app not built</title></head>\n\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">\n\
         <h1>The app is not built yet</h1>\n\
         <p>devstack serves the app from <code>{}</code>, which has no <code>index.html</code>.</p>\n\
         <p>Build it with <code>trunk build --release</code> at the repository root, then reload this page.\n\
         The API is already running: <code>/rest/v1/rpc/&lt;function&gt;</code>.</p>\n\
         </body></html>\n",
        escape_attr(&dist.display().to_string())
    );
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_goes_before_head_end() {
        let html = "<html><head><title>x</title></head><body></body></html>";
        let out = inject_config(html, "http://127.0.0.1:1", "k\"ey");
        let meta = out.find("<meta name=\"supabase-url\" content=\"http://127.0.0.1:1\">");
        assert!(meta.is_some_and(|m| m < out.find("</head>").unwrap()));
        assert!(out.contains("content=\"k&quot;ey\""));
    }

    #[test]
    fn paths_cannot_escape_the_dist_folder() {
        let root = Path::new("/srv/dist");
        assert_eq!(
            safe_join(root, "/assets/app.js"),
            Some(PathBuf::from("/srv/dist/assets/app.js"))
        );
        assert_eq!(safe_join(root, "/../etc/passwd"), None);
        assert_eq!(safe_join(root, "/a/../../b"), None);
    }

    #[test]
    fn wasm_is_served_as_wasm() {
        assert_eq!(content_type(Path::new("app_bg.wasm")), "application/wasm");
    }
}
