//! CORS of the whole origin as a browser on another origin sees it, with
//! Storage as the demanding case: the preflight of an upload as storage-js
//! sends it, and downloads whose headers (ETag, Content-Disposition,
//! Content-Range…) scripts must be allowed to read.

use devstack::{Stack, StackOptions};
use reqwest::header::HeaderMap;
use reqwest::Method;

const ORIGIN: &str = "http://localhost:8080";
const BUCKET: &str = "wc-attachments";

fn listed(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// Every header in `names` is on the response and listed as exposed.
fn readable(headers: &HeaderMap, names: &[&str]) {
    let exposed = listed(headers, "access-control-expose-headers");
    for name in names {
        assert!(headers.contains_key(*name), "the response has no {name}");
        assert!(
            exposed.contains(&name.to_string()),
            "{name} is not exposed: {exposed:?}"
        );
    }
    assert_eq!(headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn storage_is_usable_from_another_origin() {
    let stack = Stack::start(StackOptions::throwaway()).expect("the stack starts");
    let storage = format!("{}/storage/v1", stack.url());
    let service = stack.service_role_key().to_string();
    let client = reqwest::Client::new();
    let key = format!(
        "{}/{}/{}/report.txt",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    );
    let object = format!("{storage}/object/{BUCKET}/{key}");

    // The preflight of an upload with every header storage-js may send.
    let wanted = [
        "authorization",
        "apikey",
        "x-client-info",
        "content-type",
        "x-upsert",
        "x-metadata",
        "cache-control",
    ];
    let preflight = client
        .request(Method::OPTIONS, &object)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", wanted.join(","))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let allowed = listed(h, "access-control-allow-headers");
    for name in wanted {
        assert!(allowed.contains(&name.to_string()), "{name} not allowed");
    }
    let methods = listed(h, "access-control-allow-methods");
    for m in ["post", "put", "get", "head", "delete"] {
        assert!(methods.contains(&m.to_string()), "{m} not allowed");
    }

    // And of a ranged, conditional download.
    let preflight = client
        .request(Method::OPTIONS, &object)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "authorization,apikey,range,if-none-match",
        )
        .send()
        .await
        .unwrap();
    let allowed = listed(preflight.headers(), "access-control-allow-headers");
    for name in ["range", "if-none-match"] {
        assert!(allowed.contains(&name.to_string()), "{name} not allowed");
    }

    let upload = client
        .post(&object)
        .header("origin", ORIGIN)
        .bearer_auth(&service)
        .header("apikey", &service)
        .header("content-type", "text/plain")
        .header("cache-control", "max-age=60")
        .header("x-upsert", "false")
        .body("0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    readable(upload.headers(), &["content-type"]);

    // A download as an attachment: everything a script needs to save it.
    let download = client
        .get(format!("{object}?download=saved.txt"))
        .header("origin", ORIGIN)
        .bearer_auth(&service)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    readable(
        download.headers(),
        &[
            "etag",
            "content-disposition",
            "content-length",
            "content-type",
            "cache-control",
            "last-modified",
            "accept-ranges",
        ],
    );
    let etag = download.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(download.text().await.unwrap(), "0123456789");

    // A range and a revalidation.
    let part = client
        .get(&object)
        .header("origin", ORIGIN)
        .bearer_auth(&service)
        .header("range", "bytes=2-4")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    readable(part.headers(), &["content-range", "content-length"]);
    assert_eq!(part.text().await.unwrap(), "234");
    let unchanged = client
        .get(&object)
        .header("origin", ORIGIN)
        .bearer_auth(&service)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    readable(unchanged.headers(), &["etag"]);

    // Refusals are readable too (the browser would otherwise hide them).
    let refused = client
        .get(format!("{storage}/object/{BUCKET}/nothing/here.txt"))
        .header("origin", ORIGIN)
        .bearer_auth(stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    readable(refused.headers(), &["content-type"]);

    // No Origin, no CORS headers.
    let plain = client
        .get(&object)
        .bearer_auth(&service)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(!plain.headers().contains_key("access-control-allow-origin"));
}
