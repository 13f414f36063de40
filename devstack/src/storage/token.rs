//! Tokens: the caller's JWT as Storage verifies it, and the HS256 tokens
//! of signed URLs.
//!
//! Storage verifies with `jose` and no clock tolerance, and reports the
//! library's texts (`signature verification failed`, `"exp" claim timestamp
//! check failed`, ...). Signed-URL tokens are JWTs signed with the project
//! secret: `{url, scope: "download", iat, exp}` for downloads and
//! `{owner, url, upsert, scope: "upload", iat, exp}` for uploads
//! (`src/storage/object.ts`, `src/internal/auth/jwt.ts`).

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{StorageError, StorageResult};
use crate::keys::{JwtError, JwtSecret, CLOCK_SKEW_SECS};

/// What a signed URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Reading the object.
    Download,
    /// Writing the object.
    Upload,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Download => "download",
            Scope::Upload => "upload",
        }
    }
}

/// Verifies a token with Storage's rules (no clock skew on `exp`) and
/// returns its claims, or `jose`'s text for the failure.
pub fn verify(secret: &JwtSecret, token: &str, now: f64) -> Result<Map<String, Value>, String> {
    // JwtSecret allows PostgREST's skew; shifting the clock by it makes the
    // expiry exact, as jose checks it.
    secret
        .verify_at(token, now + CLOCK_SKEW_SECS)
        .map_err(|e| jose_message(&e))
}

/// The message `jose` gives for the same failure.
pub fn jose_message(err: &JwtError) -> String {
    match err {
        JwtError::Empty | JwtError::Parts(_) | JwtError::Malformed => "Invalid Compact JWS".into(),
        JwtError::Unsecured => "\"alg\" (Algorithm) Header Parameter value not allowed".into(),
        JwtError::NoSuitableKey => "signature verification failed".into(),
        JwtError::ClaimsUnparsable => "JWT Claims Set must be a top-level JSON object".into(),
        JwtError::Expired => "\"exp\" claim timestamp check failed".into(),
        JwtError::NotYetValid => "\"nbf\" claim timestamp check failed".into(),
        JwtError::IssuedInFuture => "\"iat\" claim timestamp check failed".into(),
        JwtError::ClaimNotNumber(claim) => format!("\"{claim}\" claim must be a number"),
    }
}

#[derive(Serialize)]
struct DownloadClaims<'a> {
    url: &'a str,
    scope: &'static str,
    iat: i64,
    exp: i64,
}

#[derive(Serialize)]
struct UploadClaims<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
    url: &'a str,
    upsert: bool,
    scope: &'static str,
    iat: i64,
    exp: i64,
}

/// Signs a download token for `url` (`<bucket>/<key>`).
pub fn sign_download(secret: &JwtSecret, url: &str, now: i64, expires_in: i64) -> String {
    secret.sign(&DownloadClaims {
        url,
        scope: Scope::Download.name(),
        iat: now,
        exp: now + expires_in,
    })
}

/// Signs an upload token for `url`, remembering who asked and whether the
/// upload may overwrite.
pub fn sign_upload(
    secret: &JwtSecret,
    url: &str,
    owner: Option<&str>,
    upsert: bool,
    now: i64,
    expires_in: i64,
) -> String {
    secret.sign(&UploadClaims {
        owner,
        url,
        upsert,
        scope: Scope::Upload.name(),
        iat: now,
        exp: now + expires_in,
    })
}

/// A verified signed-URL token.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// For uploads: the account that asked for the URL.
    pub owner: Option<String>,
    /// For uploads: whether an existing object may be replaced.
    pub upsert: bool,
}

/// Checks a signed-URL token for `<bucket>/<key>` and `scope`, in Storage's
/// order: signature and expiry, scope, object, expiry again.
pub fn verify_signed(
    secret: &JwtSecret,
    token: &str,
    bucket: &str,
    key: &str,
    scope: Scope,
    now: f64,
) -> StorageResult<Signed> {
    let claims = verify(secret, token, now).map_err(StorageError::invalid_jwt)?;
    let has_upsert = claims.contains_key("upsert");
    let scope_ok = match claims.get("scope") {
        // Tokens from before scopes existed: uploads carried `upsert`.
        None => (scope == Scope::Upload) == has_upsert,
        Some(Value::String(s)) => s == scope.name(),
        Some(_) => false,
    };
    if !scope_ok {
        return Err(StorageError::invalid_signature(Some(&format!(
            "Token is not scoped for {}",
            scope.name()
        ))));
    }
    let url = claims.get("url").and_then(Value::as_str).unwrap_or("");
    if url != format!("{bucket}/{key}") {
        return Err(StorageError::invalid_signature(None));
    }
    let exp = claims.get("exp").and_then(Value::as_f64).unwrap_or(0.0);
    if exp < now {
        return Err(StorageError::expired_signature());
    }
    Ok(Signed {
        exp: exp as i64,
        owner: claims
            .get("owner")
            .and_then(Value::as_str)
            .map(str::to_string),
        upsert: claims
            .get("upsert")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_JWT_SECRET;

    fn secret() -> JwtSecret {
        JwtSecret::new(DEFAULT_JWT_SECRET)
    }

    #[test]
    fn download_token_verifies_for_its_object_only() {
        let t = sign_download(&secret(), "b/a/x.png", 1000, 60);
        let ok = verify_signed(&secret(), &t, "b", "a/x.png", Scope::Download, 1010.0).unwrap();
        assert_eq!(ok.exp, 1060);
        let other = verify_signed(&secret(), &t, "b", "a/y.png", Scope::Download, 1010.0);
        assert_eq!(other.unwrap_err().code, "InvalidSignature");
    }

    #[test]
    fn expiry_is_exact() {
        let t = sign_download(&secret(), "b/k", 1000, 60);
        assert!(verify_signed(&secret(), &t, "b", "k", Scope::Download, 1059.0).is_ok());
        let late = verify_signed(&secret(), &t, "b", "k", Scope::Download, 1061.0).unwrap_err();
        assert_eq!(late.code, "InvalidJWT");
        assert_eq!(late.message, "\"exp\" claim timestamp check failed");
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let t = sign_download(&secret(), "b/k", 1000, 60);
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        parts[1] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"url":"b/other","scope":"download","iat":1000,"exp":9999999999}"#,
        );
        let forged = parts.join(".");
        let e =
            verify_signed(&secret(), &forged, "b", "other", Scope::Download, 1010.0).unwrap_err();
        assert_eq!(e.message, "signature verification failed");
    }

    #[test]
    fn scopes_do_not_mix() {
        let up = sign_upload(&secret(), "b/k", Some("u1"), false, 1000, 60);
        let e = verify_signed(&secret(), &up, "b", "k", Scope::Download, 1010.0).unwrap_err();
        assert_eq!(e.message, "Token is not scoped for download");
        let ok = verify_signed(&secret(), &up, "b", "k", Scope::Upload, 1010.0).unwrap();
        assert_eq!(ok.owner.as_deref(), Some("u1"));
        let down = sign_download(&secret(), "b/k", 1000, 60);
        assert!(verify_signed(&secret(), &down, "b", "k", Scope::Upload, 1010.0).is_err());
    }

    #[test]
    fn caller_tokens_get_jose_texts() {
        assert_eq!(
            verify(&secret(), "", 0.0).unwrap_err(),
            "Invalid Compact JWS"
        );
        let other = JwtSecret::new("another-secret-with-at-least-32-characters!");
        let t = other.sign(&serde_json::json!({"role": "authenticated"}));
        assert_eq!(
            verify(&secret(), &t, 0.0).unwrap_err(),
            "signature verification failed"
        );
    }
}
