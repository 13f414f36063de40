//! Which Storage operation a method and path name.
//!
//! Paths are relative to `/storage/v1`. As in Storage (Fastify, one route
//! tree per method), a static segment such as `sign` or `info` wins over a
//! bucket of the same name only for the methods that route defines. Bucket
//! and key are percent-decoded after the path is split, so `%2F` inside a
//! key is a `/`, as Storage's router decodes it.

use axum::http::Method;

use super::caller::TokenRule;
use super::key::percent_decode_path;

/// A Storage operation with its bucket and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /object/{bucket}/{key}` (create; `x-upsert` may allow replace).
    Upload { bucket: String, key: String },
    /// `PUT /object/{bucket}/{key}` (create or replace).
    Update { bucket: String, key: String },
    /// `GET /object/{bucket}/{key}` and the `authenticated`/`public` forms.
    Download {
        bucket: String,
        key: String,
        access: Access,
    },
    /// `HEAD` of the same paths: the download's headers only.
    Head {
        bucket: String,
        key: String,
        access: Access,
    },
    /// `GET /object/info/{bucket}/{key}` and its forms.
    Info {
        bucket: String,
        key: String,
        access: Access,
    },
    /// `POST /object/sign/{bucket}/{key}`.
    Sign { bucket: String, key: String },
    /// `POST /object/sign/{bucket}` with `paths`.
    SignMany { bucket: String },
    /// `GET /object/sign/{bucket}/{key}?token=`.
    GetSigned { bucket: String, key: String },
    /// `POST /object/upload/sign/{bucket}/{key}`.
    SignUpload { bucket: String, key: String },
    /// `PUT /object/upload/sign/{bucket}/{key}?token=`.
    UploadSigned { bucket: String, key: String },
    /// `DELETE /object/{bucket}/{key}`.
    Delete { bucket: String, key: String },
    /// `DELETE /object/{bucket}` with `prefixes`.
    DeleteMany { bucket: String },
    /// `POST /object/list/{bucket}`.
    List { bucket: String },
}

/// How a read route authorizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The plain route: a token is optional; without one only public
    /// buckets are readable.
    Default,
    /// `/authenticated/`: a valid token is required.
    Authenticated,
    /// `/public/`: no policies, public buckets only.
    Public,
}

impl Access {
    /// The token rule of routes with this access.
    pub fn token_rule(self) -> TokenRule {
        match self {
            Access::Authenticated => TokenRule::Required,
            Access::Default | Access::Public => TokenRule::Optional,
        }
    }
}

impl Route {
    /// Storage's operation name, exposed to policies as `storage.operation`.
    pub fn operation(&self) -> &'static str {
        match self {
            Route::Upload { .. } => "storage.object.upload",
            Route::Update { .. } => "storage.object.upload_update",
            Route::Download {
                access: Access::Public,
                ..
            } => "storage.object.get_public",
            Route::Download { .. } => "storage.object.get_authenticated",
            Route::Head { .. } => "object.head_authenticated_info",
            Route::Info {
                access: Access::Public,
                ..
            } => "storage.object.info_public",
            Route::Info { .. } => "object.get_authenticated_info",
            Route::Sign { .. } => "storage.object.sign",
            Route::SignMany { .. } => "storage.object.sign_many",
            Route::GetSigned { .. } => "storage.object.get_signed",
            Route::SignUpload { .. } => "storage.object.sign_upload_url",
            Route::UploadSigned { .. } => "storage.object.upload_signed",
            Route::Delete { .. } => "storage.object.delete",
            Route::DeleteMany { .. } => "storage.object.delete_many",
            Route::List { .. } => "storage.object.list",
        }
    }
}

/// A path that names a route but does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable(pub String);

/// Finds the route of `method` and `path` (below `/storage/v1`, without the
/// query). `Ok(None)` means no route; `Err` a route whose bucket or key
/// is not valid UTF-8 once decoded.
pub fn parse(method: &Method, path: &str) -> Result<Option<Route>, Undecodable> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let Some(rest) = path.strip_prefix("object/") else {
        return Ok(None);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    // (bucket, key) from segments[i..]: the bucket, then the rest joined.
    let tail = |i: usize| -> Result<Option<(String, String)>, Undecodable> {
        if segments.len() < i + 2 {
            return Ok(None);
        }
        let bucket = decode(segments[i])?;
        let key = decode(&segments[i + 1..].join("/"))?;
        Ok(Some((bucket, key)))
    };
    let only_bucket = |i: usize| -> Result<Option<String>, Undecodable> {
        if segments.len() != i + 1 {
            return Ok(None);
        }
        decode(segments[i]).map(Some)
    };
    let first = segments[0];
    let m = method.clone();

    let specific = match (first, &m) {
        ("list", &Method::POST) => only_bucket(1)?.map(|bucket| Route::List { bucket }),
        ("sign", &Method::POST) => match tail(1)? {
            Some((bucket, key)) => Some(Route::Sign { bucket, key }),
            None => only_bucket(1)?.map(|bucket| Route::SignMany { bucket }),
        },
        ("sign", &Method::GET) => tail(1)?.map(|(bucket, key)| Route::GetSigned { bucket, key }),
        ("upload", &Method::POST) if segments.get(1) == Some(&"sign") => {
            tail(2)?.map(|(bucket, key)| Route::SignUpload { bucket, key })
        }
        ("upload", &Method::PUT) if segments.get(1) == Some(&"sign") => {
            tail(2)?.map(|(bucket, key)| Route::UploadSigned { bucket, key })
        }
        ("info", &Method::GET) => match segments.get(1) {
            Some(&"authenticated") => tail(2)?.map(|(bucket, key)| Route::Info {
                bucket,
                key,
                access: Access::Authenticated,
            }),
            Some(&"public") => tail(2)?.map(|(bucket, key)| Route::Info {
                bucket,
                key,
                access: Access::Public,
            }),
            _ => tail(1)?.map(|(bucket, key)| Route::Info {
                bucket,
                key,
                access: Access::Default,
            }),
        },
        ("authenticated", &Method::GET) => tail(1)?.map(|(bucket, key)| Route::Download {
            bucket,
            key,
            access: Access::Authenticated,
        }),
        ("authenticated", &Method::HEAD) => tail(1)?.map(|(bucket, key)| Route::Head {
            bucket,
            key,
            access: Access::Authenticated,
        }),
        ("public", &Method::GET) => tail(1)?.map(|(bucket, key)| Route::Download {
            bucket,
            key,
            access: Access::Public,
        }),
        ("public", &Method::HEAD) => tail(1)?.map(|(bucket, key)| Route::Head {
            bucket,
            key,
            access: Access::Public,
        }),
        _ => None,
    };
    if specific.is_some() {
        return Ok(specific);
    }
    let generic = match m {
        Method::POST => tail(0)?.map(|(bucket, key)| Route::Upload { bucket, key }),
        Method::PUT => tail(0)?.map(|(bucket, key)| Route::Update { bucket, key }),
        Method::GET => tail(0)?.map(|(bucket, key)| Route::Download {
            bucket,
            key,
            access: Access::Default,
        }),
        Method::HEAD => tail(0)?.map(|(bucket, key)| Route::Head {
            bucket,
            key,
            access: Access::Default,
        }),
        Method::DELETE => match tail(0)? {
            Some((bucket, key)) => Some(Route::Delete { bucket, key }),
            None => only_bucket(0)?.map(|bucket| Route::DeleteMany { bucket }),
        },
        _ => None,
    };
    Ok(generic)
}

fn decode(raw: &str) -> Result<String, Undecodable> {
    percent_decode_path(raw).ok_or_else(|| Undecodable(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Option<Route> {
        parse(&method, path).unwrap()
    }

    fn bk(b: &str, k: &str) -> (String, String) {
        (b.to_string(), k.to_string())
    }

    #[test]
    fn object_routes() {
        let (bucket, key) = bk("b", "w/s/u/file name.png");
        assert_eq!(
            route(Method::POST, "/object/b/w/s/u/file%20name.png"),
            Some(Route::Upload {
                bucket: bucket.clone(),
                key: key.clone()
            })
        );
        assert_eq!(
            route(Method::PUT, "/object/b/w/s/u/file%20name.png"),
            Some(Route::Update {
                bucket: bucket.clone(),
                key: key.clone()
            })
        );
        assert_eq!(
            route(Method::GET, "/object/authenticated/b/w/s/u/file%20name.png"),
            Some(Route::Download {
                bucket,
                key,
                access: Access::Authenticated
            })
        );
        assert_eq!(
            route(Method::DELETE, "/object/b"),
            Some(Route::DeleteMany { bucket: "b".into() })
        );
        assert_eq!(route(Method::POST, "/object/b"), None);
        assert_eq!(route(Method::PATCH, "/object/b/k"), None);
        assert_eq!(route(Method::GET, "/bucket"), None);
    }

    #[test]
    fn static_segments_win_only_for_their_methods() {
        assert_eq!(
            route(Method::POST, "/object/sign/b/k.png"),
            Some(Route::Sign {
                bucket: "b".into(),
                key: "k.png".into()
            })
        );
        assert_eq!(
            route(Method::POST, "/object/sign/b"),
            Some(Route::SignMany { bucket: "b".into() })
        );
        assert_eq!(
            route(Method::DELETE, "/object/sign/k.png"),
            Some(Route::Delete {
                bucket: "sign".into(),
                key: "k.png".into()
            })
        );
        assert_eq!(
            route(Method::PUT, "/object/upload/sign/b/a/k"),
            Some(Route::UploadSigned {
                bucket: "b".into(),
                key: "a/k".into()
            })
        );
        assert_eq!(
            route(Method::POST, "/object/list/b"),
            Some(Route::List { bucket: "b".into() })
        );
        assert_eq!(
            route(Method::GET, "/object/info/public/b/k"),
            Some(Route::Info {
                bucket: "b".into(),
                key: "k".into(),
                access: Access::Public
            })
        );
    }

    #[test]
    fn keys_decode_after_splitting() {
        assert_eq!(
            route(Method::GET, "/object/b/%2e%2e/etc%2Fpasswd"),
            Some(Route::Download {
                bucket: "b".into(),
                key: "../etc/passwd".into(),
                access: Access::Default
            })
        );
        assert_eq!(
            route(Method::POST, "/object/b/"),
            Some(Route::Upload {
                bucket: "b".into(),
                key: "".into()
            })
        );
        assert!(parse(&Method::GET, "/object/b/%ff").is_err());
    }
}
