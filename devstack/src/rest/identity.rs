//! Who is calling: the API gateway's key check and key swap
//! ([`crate::gateway`]) followed by PostgREST's JWT handling.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::jwt;
use crate::clock::unix_now;
use crate::gateway::{self, ApiKeys};
use crate::jwt::KeySet;

/// PostgREST's anonymous role on Supabase.
pub const ANON_ROLE: &str = "anon";

/// The database identity of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// Role switched to for the transaction.
    pub role: String,
    /// Claims exposed as `request.jwt.claims` (with `role` forced to the
    /// effective role, as PostgREST does).
    pub claims: Map<String, Value>,
}

impl Caller {
    /// Whether the caller is not the anonymous role: a privilege error is
    /// then 403 instead of 401.
    pub fn authed(&self) -> bool {
        self.role != ANON_ROLE
    }
}

/// Resolves the caller from `apikey` (header, else `query_apikey`) and
/// `Authorization`.
///
/// The gateway requires a project key in `apikey` and works out the bearer
/// token PostgREST sees. Then, as in PostgREST: a bearer token must verify;
/// a token without a `role` claim runs as the anonymous role; another
/// authorization scheme is ignored.
pub fn resolve(
    headers: &HeaderMap,
    query_apikey: Option<&str>,
    verifier: &KeySet,
    keys: &ApiKeys,
) -> Result<Caller, ApiError> {
    let forwarded = gateway::forward(keys, gateway::presented(headers, query_apikey), true)
        .map_err(ApiError::gateway)?;
    let Some(token) = forwarded.bearer else {
        return Ok(anonymous());
    };
    let mut claims = jwt::verify(verifier, &token, unix_now()).map_err(|e| ApiError::jwt(&e))?;
    let role = match claims.get("role") {
        Some(Value::String(role)) => role.clone(),
        Some(Value::Null) | None => ANON_ROLE.to_string(),
        // PostgREST uses the JSON text of a non-string role.
        Some(other) => other.to_string(),
    };
    claims.insert("role".into(), Value::String(role.clone()));
    Ok(Caller { role, claims })
}

fn anonymous() -> Caller {
    let mut claims = Map::new();
    claims.insert("role".into(), Value::String(ANON_ROLE.into()));
    Caller {
        role: ANON_ROLE.into(),
        claims,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::DEFAULT_JWT_SECRET;
    use crate::jwt::{HmacSecret, SigningKey};
    use serde_json::json;

    fn setup() -> (KeySet, ApiKeys) {
        let secret = HmacSecret::new(DEFAULT_JWT_SECRET);
        let (publishable, secret_key) = ApiKeys::generate_opaque();
        let keys = ApiKeys::new(&secret, publishable, secret_key);
        (KeySet::new(secret, SigningKey::generate()), keys)
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn apikey_alone_is_the_bearer() {
        let (secret, keys) = setup();
        let caller = resolve(
            &headers(&[("apikey", keys.anon.clone())]),
            None,
            &secret,
            &keys,
        )
        .unwrap();
        assert_eq!(caller.role, "anon");
        assert_eq!(caller.claims["iss"], "supabase-demo");
    }

    #[test]
    fn user_token_sets_role_and_claims() {
        let (secret, keys) = setup();
        let token = secret
            .signing_key()
            .sign(&json!({"role": "authenticated", "sub": "u1"}));
        let caller = resolve(
            &headers(&[
                ("apikey", keys.anon.clone()),
                ("authorization", format!("bearer {token}")),
            ]),
            None,
            &secret,
            &keys,
        )
        .unwrap();
        assert_eq!(caller.role, "authenticated");
        assert!(caller.authed());
        assert_eq!(caller.claims["sub"], "u1");
    }

    #[test]
    fn token_without_role_runs_as_anon_with_role_claim_added() {
        let (secret, keys) = setup();
        let token = secret.legacy_secret().sign(&json!({"sub": "u1"}));
        let caller = resolve(
            &headers(&[
                ("apikey", keys.anon.clone()),
                ("authorization", format!("Bearer {token}")),
            ]),
            None,
            &secret,
            &keys,
        )
        .unwrap();
        assert_eq!(caller.role, "anon");
        assert_eq!(caller.claims["role"], "anon");
    }

    #[test]
    fn missing_or_unknown_apikey_is_refused_by_the_gateway() {
        let (secret, keys) = setup();
        let e = resolve(&HeaderMap::new(), None, &secret, &keys).unwrap_err();
        assert_eq!(e.body.message, "No API key found in request");
        let e = resolve(&headers(&[("apikey", "nope".into())]), None, &secret, &keys).unwrap_err();
        assert_eq!(e.body.message, "Invalid API key");
        assert!(resolve(&HeaderMap::new(), Some(&keys.anon), &secret, &keys).is_ok());
    }

    #[test]
    fn publishable_key_alone_runs_as_anon_and_secret_key_as_service_role() {
        let (secret, keys) = setup();
        let anon = resolve(
            &headers(&[("apikey", keys.publishable.clone())]),
            None,
            &secret,
            &keys,
        )
        .unwrap();
        assert_eq!(anon.role, "anon");
        let service = resolve(
            &headers(&[
                ("apikey", keys.secret.clone()),
                ("authorization", format!("Bearer {}", keys.secret)),
            ]),
            None,
            &secret,
            &keys,
        )
        .unwrap();
        assert_eq!(service.role, "service_role");
    }

    #[test]
    fn empty_bearer_is_refused() {
        let (secret, keys) = setup();
        let e = resolve(
            &headers(&[
                ("apikey", keys.anon.clone()),
                ("authorization", "Bearer".into()),
            ]),
            None,
            &secret,
            &keys,
        )
        .unwrap_err();
        assert_eq!(e.body.code, "PGRST301");
        assert_eq!(e.body.message, "Empty JWT is sent in Authorization header");
    }
}
