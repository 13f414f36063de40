//! Who is calling Storage.
//!
//! Storage reads only `Authorization: Bearer <jwt>`; Supabase's gateway
//! fills that header from `apikey` when a client sends only the key. A
//! route either requires a valid token (an invalid or missing one is
//! `AccessDenied`), or, for the plain download, info and HEAD routes,
//! treats a missing or invalid token as an unauthenticated `anon` caller
//! (`allowInvalidJwt` in `src/http/plugins/jwt.ts`).

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::error::{StorageError, StorageResult};
use super::token;
use crate::keys::{unix_now, JwtSecret};

/// The role of a caller without a (valid) token.
pub const ANON_ROLE: &str = "anon";

/// The database identity of a Storage request.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// Role switched to for user-scoped queries (`role` claim, else anon).
    pub role: String,
    /// The verified claims (empty when unauthenticated).
    pub claims: Map<String, Value>,
    /// The raw token, exposed as `request.jwt`.
    pub jwt: String,
    /// Whether a token verified.
    pub authenticated: bool,
}

impl Caller {
    /// The `sub` claim: the object owner recorded on upload.
    pub fn sub(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// The caller as a row owner: `owner` (uuid) when `sub` is a UUID, and
    /// `owner_id` (text) always.
    pub fn owner(&self) -> Option<String> {
        self.sub().map(str::to_string)
    }

    /// An unauthenticated caller.
    pub fn anonymous() -> Self {
        let mut claims = Map::new();
        claims.insert("role".into(), Value::String(ANON_ROLE.into()));
        Caller {
            role: ANON_ROLE.into(),
            claims,
            jwt: String::new(),
            authenticated: false,
        }
    }
}

/// Whether a route accepts a missing or invalid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRule {
    /// A verified token is required.
    Required,
    /// Without one the caller is anonymous (public buckets only).
    Optional,
}

/// The bearer token as Storage sees it behind the gateway.
pub fn bearer(headers: &HeaderMap) -> String {
    if let Some(value) = headers.get("authorization") {
        let value = value.to_str().unwrap_or("").trim();
        return match value.get(..6) {
            Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => value[6..].trim().to_string(),
            _ => value.to_string(),
        };
    }
    headers
        .get("apikey")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// Resolves the caller of a request.
pub fn resolve(headers: &HeaderMap, secret: &JwtSecret, rule: TokenRule) -> StorageResult<Caller> {
    let jwt = bearer(headers);
    if jwt.is_empty() && rule == TokenRule::Optional {
        return Ok(Caller::anonymous());
    }
    match token::verify(secret, &jwt, unix_now()) {
        Ok(claims) => {
            let role = match claims.get("role") {
                Some(Value::String(r)) if !r.is_empty() => r.clone(),
                _ => ANON_ROLE.to_string(),
            };
            Ok(Caller {
                role,
                claims,
                jwt,
                authenticated: true,
            })
        }
        Err(_) if rule == TokenRule::Optional => Ok(Caller::anonymous()),
        Err(message) => Err(StorageError::access_denied(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_JWT_SECRET;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn bearer_prefers_authorization_then_apikey() {
        assert_eq!(bearer(&headers(&[("authorization", "Bearer abc")])), "abc");
        assert_eq!(
            bearer(&headers(&[("authorization", "bearer  abc ")])),
            "abc"
        );
        assert_eq!(
            bearer(&headers(&[
                ("apikey", "key"),
                ("authorization", "Bearer t")
            ])),
            "t"
        );
        assert_eq!(bearer(&headers(&[("apikey", "key")])), "key");
        assert_eq!(bearer(&HeaderMap::new()), "");
    }

    #[test]
    fn required_tokens_must_verify() {
        let secret = JwtSecret::new(DEFAULT_JWT_SECRET);
        let e = resolve(&HeaderMap::new(), &secret, TokenRule::Required).unwrap_err();
        assert_eq!(e.code, "AccessDenied");
        assert_eq!(e.message, "Invalid Compact JWS");
        let anon = resolve(&HeaderMap::new(), &secret, TokenRule::Optional).unwrap();
        assert!(!anon.authenticated);
        let t = secret.sign(&json!({"role": "authenticated", "sub": "u", "exp": 4e9}));
        let auth = format!("Bearer {t}");
        let c = resolve(
            &headers(&[("authorization", &auth)]),
            &secret,
            TokenRule::Required,
        )
        .unwrap();
        assert_eq!((c.role.as_str(), c.sub()), ("authenticated", Some("u")));
    }
}
