//! Who is calling: the API gateway's key check (Supabase's Kong `key-auth`)
//! followed by PostgREST's JWT handling.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::keys::{JwtSecret, ProjectKeys};

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
/// The gateway requires a project key in `apikey` and, when no
/// `Authorization` header is sent, uses that key as the bearer token. Then,
/// as in PostgREST: a bearer token must verify; a token without a `role`
/// claim runs as the anonymous role; another authorization scheme is ignored.
pub fn resolve(
    headers: &HeaderMap,
    query_apikey: Option<&str>,
    secret: &JwtSecret,
    keys: &ProjectKeys,
) -> Result<Caller, ApiError> {
    let apikey = headers
        .get("apikey")
        .and_then(|v| v.to_str().ok())
        .or(query_apikey);
    let Some(apikey) = apikey else {
        return Err(gateway_error("No API key found in request"));
    };
    if !keys.is_project_key(apikey.trim()) {
        return Err(gateway_error("Invalid authentication credentials"));
    }
    let token = match headers.get("authorization") {
        None => Some(apikey.trim().to_string()),
        Some(value) => {
            let value = value.to_str().unwrap_or("");
            match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                    Some(token.trim().to_string())
                }
                None if value.eq_ignore_ascii_case("bearer") => Some(String::new()),
                _ => None,
            }
        }
    };
    let Some(token) = token else {
        return Ok(anonymous());
    };
    let mut claims = secret.verify(&token).map_err(|e| ApiError::jwt(&e))?;
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

/// The gateway's own refusal, which has only a message.
fn gateway_error(message: &str) -> ApiError {
    ApiError::gateway(StatusCode::UNAUTHORIZED, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_JWT_SECRET;
    use serde_json::json;

    fn setup() -> (JwtSecret, ProjectKeys) {
        let secret = JwtSecret::new(DEFAULT_JWT_SECRET);
        let keys = ProjectKeys::derive(&secret);
        (secret, keys)
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
        let token = secret.sign(&json!({"role": "authenticated", "sub": "u1"}));
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
        let token = secret.sign(&json!({"sub": "u1"}));
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
        assert_eq!(e.body.message, "Invalid authentication credentials");
        assert!(resolve(&HeaderMap::new(), Some(&keys.anon), &secret, &keys).is_ok());
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
