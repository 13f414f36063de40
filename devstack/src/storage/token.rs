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
use crate::jwt::{number_claim, HmacSecret, KeySet, VerifyError};

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

/// Why Storage refused a token; displayed with `jose`'s texts, which
/// Storage reports as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFailure {
    /// The signature or shape did not verify.
    Signature(VerifyError),
    /// `exp` has passed (no clock tolerance).
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    /// A time claim that is not a number.
    ClaimNotNumber(&'static str),
}

impl std::fmt::Display for TokenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenFailure::Signature(
                VerifyError::Empty
                | VerifyError::Parts(_)
                | VerifyError::Header
                | VerifyError::SignatureEncoding,
            ) => f.write_str("Invalid Compact JWS"),
            TokenFailure::Signature(
                VerifyError::Unsecured | VerifyError::UnsupportedAlgorithm(_),
            ) => f.write_str("\"alg\" (Algorithm) Header Parameter value not allowed"),
            TokenFailure::Signature(VerifyError::Claims) => {
                f.write_str("JWT Claims Set must be a top-level JSON object")
            }
            TokenFailure::Signature(VerifyError::NoSuitableKey | VerifyError::BadSignature) => {
                f.write_str("signature verification failed")
            }
            TokenFailure::Expired => f.write_str("\"exp\" claim timestamp check failed"),
            TokenFailure::NotYetValid => f.write_str("\"nbf\" claim timestamp check failed"),
            TokenFailure::IssuedInFuture => f.write_str("\"iat\" claim timestamp check failed"),
            TokenFailure::ClaimNotNumber(claim) => write!(f, "\"{claim}\" claim must be a number"),
        }
    }
}

impl std::error::Error for TokenFailure {}

/// Verifies a token with Storage's rules (the stack's keys, no clock
/// tolerance on the time claims) and returns its claims.
pub fn verify(keys: &KeySet, token: &str, now: f64) -> Result<Map<String, Value>, TokenFailure> {
    let (claims, _) = keys.verify(token).map_err(TokenFailure::Signature)?;
    let number = |name: &'static str| {
        number_claim(&claims, name).map_err(|_| TokenFailure::ClaimNotNumber(name))
    };
    if number("exp")?.is_some_and(|exp| exp < now) {
        return Err(TokenFailure::Expired);
    }
    if number("nbf")?.is_some_and(|nbf| nbf > now) {
        return Err(TokenFailure::NotYetValid);
    }
    if number("iat")?.is_some_and(|iat| iat > now) {
        return Err(TokenFailure::IssuedInFuture);
    }
    Ok(claims)
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
pub fn sign_download(secret: &HmacSecret, url: &str, now: i64, expires_in: i64) -> String {
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
    secret: &HmacSecret,
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
    keys: &KeySet,
    token: &str,
    bucket: &str,
    key: &str,
    scope: Scope,
    now: f64,
) -> StorageResult<Signed> {
    let claims = verify(keys, token, now).map_err(|e| StorageError::invalid_jwt(e.to_string()))?;
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
    use crate::gateway::DEFAULT_JWT_SECRET;
    use crate::jwt::SigningKey;

    fn secret() -> HmacSecret {
        HmacSecret::new(DEFAULT_JWT_SECRET)
    }

    fn keys() -> KeySet {
        KeySet::new(secret(), SigningKey::generate())
    }

    #[test]
    fn download_token_verifies_for_its_object_only() {
        let t = sign_download(&secret(), "b/a/x.png", 1000, 60);
        let ok = verify_signed(&keys(), &t, "b", "a/x.png", Scope::Download, 1010.0).unwrap();
        assert_eq!(ok.exp, 1060);
        let other = verify_signed(&keys(), &t, "b", "a/y.png", Scope::Download, 1010.0);
        assert_eq!(other.unwrap_err().code, "InvalidSignature");
    }

    #[test]
    fn expiry_is_exact() {
        let t = sign_download(&secret(), "b/k", 1000, 60);
        assert!(verify_signed(&keys(), &t, "b", "k", Scope::Download, 1059.0).is_ok());
        let late = verify_signed(&keys(), &t, "b", "k", Scope::Download, 1061.0).unwrap_err();
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
        let e = verify_signed(&keys(), &forged, "b", "other", Scope::Download, 1010.0).unwrap_err();
        assert_eq!(e.message, "signature verification failed");
    }

    #[test]
    fn scopes_do_not_mix() {
        let up = sign_upload(&secret(), "b/k", Some("u1"), false, 1000, 60);
        let e = verify_signed(&keys(), &up, "b", "k", Scope::Download, 1010.0).unwrap_err();
        assert_eq!(e.message, "Token is not scoped for download");
        let ok = verify_signed(&keys(), &up, "b", "k", Scope::Upload, 1010.0).unwrap();
        assert_eq!(ok.owner.as_deref(), Some("u1"));
        let down = sign_download(&secret(), "b/k", 1000, 60);
        assert!(verify_signed(&keys(), &down, "b", "k", Scope::Upload, 1010.0).is_err());
    }

    #[test]
    fn caller_tokens_get_jose_texts() {
        assert_eq!(
            verify(&keys(), "", 0.0).unwrap_err().to_string(),
            "Invalid Compact JWS"
        );
        let other = HmacSecret::new("another-secret-with-at-least-32-characters!");
        let t = other.sign(&serde_json::json!({"role": "authenticated"}));
        assert_eq!(
            verify(&keys(), &t, 0.0).unwrap_err().to_string(),
            "signature verification failed"
        );
        let es = keys().signing_key().sign(&serde_json::json!({"exp": 10}));
        assert_eq!(
            verify(&keys(), &es, 0.0).unwrap_err().to_string(),
            "signature verification failed",
            "another stack's signing key"
        );
    }
}
