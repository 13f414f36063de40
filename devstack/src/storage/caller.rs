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
use crate::clock::unix_now;
use crate::gateway::{self, ApiKeys};
use crate::jwt::KeySet;

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

/// The bearer token as Storage sees it behind the gateway: `Authorization`,
/// else the `apikey` (opaque keys swapped for their role JWTs); empty when
/// there is neither.
pub fn bearer(headers: &HeaderMap, keys: &ApiKeys) -> Result<String, gateway::GatewayError> {
    let forwarded = gateway::forward(keys, gateway::presented(headers, None), false)?;
    Ok(forwarded.bearer.unwrap_or_default())
}

/// Resolves the caller of a request.
pub fn resolve(
    headers: &HeaderMap,
    verifier: &KeySet,
    keys: &ApiKeys,
    rule: TokenRule,
) -> StorageResult<Caller> {
    let jwt = bearer(headers, keys).map_err(|e| StorageError::access_denied(e.message()))?;
    if jwt.is_empty() && rule == TokenRule::Optional {
        return Ok(Caller::anonymous());
    }
    match token::verify(verifier, &jwt, unix_now()) {
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
        Err(failure) => Err(StorageError::access_denied(failure.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::DEFAULT_JWT_SECRET;
    use crate::jwt::{HmacSecret, SigningKey};
    use serde_json::json;

    fn api_keys() -> ApiKeys {
        ApiKeys::new(
            &HmacSecret::new(DEFAULT_JWT_SECRET),
            "sb_publishable_p".into(),
            "sb_secret_s".into(),
        )
    }

    fn bearer_of(h: &HeaderMap) -> String {
        bearer(h, &api_keys()).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn bearer_prefers_authorization_then_apikey() {
        assert_eq!(
            bearer_of(&headers(&[("authorization", "Bearer abc")])),
            "abc"
        );
        assert_eq!(
            bearer_of(&headers(&[("authorization", "bearer  abc ")])),
            "abc"
        );
        assert_eq!(
            bearer_of(&headers(&[
                ("apikey", "key"),
                ("authorization", "Bearer t")
            ])),
            "t"
        );
        assert_eq!(bearer_of(&headers(&[("apikey", "key")])), "key");
        assert_eq!(bearer_of(&HeaderMap::new()), "");
        // An opaque key becomes its role's JWT, as behind Supabase's gateway.
        assert_eq!(
            bearer_of(&headers(&[("apikey", "sb_publishable_p")])),
            api_keys().anon
        );
    }

    #[test]
    fn required_tokens_must_verify() {
        let secret = HmacSecret::new(DEFAULT_JWT_SECRET);
        let verifier = KeySet::new(secret.clone(), SigningKey::generate());
        let keys = api_keys();
        let e = resolve(&HeaderMap::new(), &verifier, &keys, TokenRule::Required).unwrap_err();
        assert_eq!(e.code, "AccessDenied");
        assert_eq!(e.message, "Invalid Compact JWS");
        let anon = resolve(&HeaderMap::new(), &verifier, &keys, TokenRule::Optional).unwrap();
        assert!(!anon.authenticated);
        let t = secret.sign(&json!({"role": "authenticated", "sub": "u", "exp": 4e9}));
        let auth = format!("Bearer {t}");
        let c = resolve(
            &headers(&[("authorization", &auth)]),
            &verifier,
            &keys,
            TokenRule::Required,
        )
        .unwrap();
        assert_eq!((c.role.as_str(), c.sub()), ("authenticated", Some("u")));
    }
}
