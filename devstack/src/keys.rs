//! HS256/384/512 JSON Web Tokens: signing the project keys and verifying the
//! tokens that clients present, with the rules and error texts of PostgREST
//! (`src/PostgREST/Auth/Jwt.hs` and `Error.hs` in PostgREST/postgrest).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// The JWT secret of Supabase's local development setup; devstack uses it
/// unless told otherwise, so its anon and service-role keys are the
/// well-known local ones.
pub const DEFAULT_JWT_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";

/// Clock skew allowed on `exp`, `nbf` and `iat`, as PostgREST allows.
pub const CLOCK_SKEW_SECS: f64 = 30.0;

/// Expiry of the project keys (2032-11-12), the value Supabase's local
/// development keys carry.
const PROJECT_KEY_EXP: i64 = 1_983_812_996;

/// The symmetric secret that signs and verifies every token of the stack.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

impl JwtSecret {
    /// Wraps a passphrase used as the HMAC key.
    pub fn new(secret: impl Into<String>) -> Self {
        JwtSecret(secret.into().into_bytes())
    }

    /// The passphrase as text (it is always built from a string).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Signs `claims` with HS256 and returns the compact token.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize to JSON"));
        let signing_input = format!("{header}.{payload}");
        let signature = hmac_sign(Algorithm::Hs256, &self.0, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Verifies a compact token and its time claims at the current time.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, JwtError> {
        self.verify_at(token, unix_now())
    }

    /// Verifies a compact token as of `now` (seconds since the epoch).
    pub fn verify_at(&self, token: &str, now: f64) -> Result<Map<String, Value>, JwtError> {
        if token.is_empty() {
            return Err(JwtError::Empty);
        }
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(JwtError::Parts(parts.len()));
        }
        let header: Value = URL_SAFE_NO_PAD
            .decode(parts[0].trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(JwtError::Malformed)?;
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let algorithm = match alg {
            "none" => return Err(JwtError::Unsecured),
            "HS256" => Algorithm::Hs256,
            "HS384" => Algorithm::Hs384,
            "HS512" => Algorithm::Hs512,
            // Asymmetric algorithms need a key pair devstack does not have.
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384"
            | "ES512" | "EdDSA" => return Err(JwtError::NoSuitableKey),
            _ => return Err(JwtError::Malformed),
        };
        let signature = URL_SAFE_NO_PAD
            .decode(parts[2].trim_end_matches('='))
            .map_err(|_| JwtError::Malformed)?;
        let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
        if !hmac_verify(algorithm, &self.0, signing_input.as_bytes(), &signature) {
            return Err(JwtError::NoSuitableKey);
        }
        let claims = URL_SAFE_NO_PAD
            .decode(parts[1].trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .ok_or(JwtError::ClaimsUnparsable)?;
        let Value::Object(claims) = claims else {
            return Err(JwtError::ClaimsUnparsable);
        };
        check_time_claims(&claims, now)?;
        Ok(claims)
    }
}

/// The long-lived project keys handed to clients.
#[derive(Clone, Debug)]
pub struct ProjectKeys {
    /// JWT with `role: anon`: the publishable key browsers use.
    pub anon: String,
    /// JWT with `role: service_role`: bypasses RLS; for servers only.
    pub service_role: String,
}

#[derive(Serialize)]
struct ProjectKeyClaims<'a> {
    iss: &'a str,
    role: &'a str,
    exp: i64,
}

impl ProjectKeys {
    /// Signs the anon and service-role keys with `secret`, with the claims
    /// (`iss`, `role`, `exp`, in that order) of Supabase's local keys.
    pub fn derive(secret: &JwtSecret) -> Self {
        let key = |role| {
            secret.sign(&ProjectKeyClaims {
                iss: "supabase-demo",
                role,
                exp: PROJECT_KEY_EXP,
            })
        };
        ProjectKeys {
            anon: key("anon"),
            service_role: key("service_role"),
        }
    }

    /// Whether `key` is one of the two project keys (what the API gateway
    /// accepts in `apikey`).
    pub fn is_project_key(&self, key: &str) -> bool {
        key == self.anon || key == self.service_role
    }
}

/// Why a token was refused. The texts are PostgREST's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// `Authorization: Bearer` with nothing after it.
    Empty,
    /// Not three dot-separated parts.
    Parts(usize),
    /// Header or signature not decodable.
    Malformed,
    /// `alg: none`.
    Unsecured,
    /// Wrong secret, or an algorithm devstack has no key for.
    NoSuitableKey,
    /// The payload is not a JSON object.
    ClaimsUnparsable,
    /// `exp` is in the past (beyond the allowed skew).
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    /// A time claim that is not a number.
    ClaimNotNumber(&'static str),
}

impl JwtError {
    /// PostgREST's error code: PGRST301 for decoding, PGRST303 for claims.
    pub fn code(&self) -> &'static str {
        match self {
            JwtError::Empty
            | JwtError::Parts(_)
            | JwtError::Malformed
            | JwtError::Unsecured
            | JwtError::NoSuitableKey => "PGRST301",
            _ => "PGRST303",
        }
    }

    /// PostgREST's `details` for the error, if any.
    pub fn details(&self) -> Option<&'static str> {
        match self {
            JwtError::Unsecured => Some("JWT is unsecured but expected 'alg' was not 'none'"),
            JwtError::NoSuitableKey => Some("None of the keys was able to decode the JWT"),
            _ => None,
        }
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Empty => f.write_str("Empty JWT is sent in Authorization header"),
            JwtError::Parts(n) => write!(f, "Expected 3 parts in JWT; got {n}"),
            JwtError::Malformed => f.write_str("JWT cryptographic operation failed"),
            JwtError::Unsecured => f.write_str("Wrong or unsupported encoding algorithm"),
            JwtError::NoSuitableKey => f.write_str("No suitable key or wrong key type"),
            JwtError::ClaimsUnparsable => f.write_str("Parsing claims failed"),
            JwtError::Expired => f.write_str("JWT expired"),
            JwtError::NotYetValid => f.write_str("JWT not yet valid"),
            JwtError::IssuedInFuture => f.write_str("JWT issued at future"),
            JwtError::ClaimNotNumber(claim) => {
                write!(f, "The JWT '{claim}' claim must be a number")
            }
        }
    }
}

impl std::error::Error for JwtError {}

/// Realtime's extra rule: a socket token must carry both `role` and `exp`.
pub fn require_role_and_exp(claims: &Map<String, Value>) -> Result<(), &'static str> {
    let has_role = claims.get("role").is_some_and(|r| r.is_string());
    let has_exp = claims.get("exp").is_some_and(|e| e.is_number());
    if has_role && has_exp {
        Ok(())
    } else {
        Err("Fields `role` and `exp` are required in JWT")
    }
}

/// Seconds since the Unix epoch, with sub-second precision.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn check_time_claims(claims: &Map<String, Value>, now: f64) -> Result<(), JwtError> {
    let number = |name: &'static str| -> Result<Option<f64>, JwtError> {
        match claims.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or(JwtError::ClaimNotNumber(name)),
        }
    };
    if let Some(exp) = number("exp")? {
        if now - CLOCK_SKEW_SECS > exp {
            return Err(JwtError::Expired);
        }
    }
    if let Some(nbf) = number("nbf")? {
        if now + CLOCK_SKEW_SECS < nbf {
            return Err(JwtError::NotYetValid);
        }
    }
    if let Some(iat) = number("iat")? {
        if now + CLOCK_SKEW_SECS < iat {
            return Err(JwtError::IssuedInFuture);
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Algorithm {
    Hs256,
    Hs384,
    Hs512,
}

fn hmac_sign(alg: Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    match alg {
        Algorithm::Hs256 => mac::<Hmac<Sha256>>(key, data)
            .finalize()
            .into_bytes()
            .to_vec(),
        Algorithm::Hs384 => mac::<Hmac<Sha384>>(key, data)
            .finalize()
            .into_bytes()
            .to_vec(),
        Algorithm::Hs512 => mac::<Hmac<Sha512>>(key, data)
            .finalize()
            .into_bytes()
            .to_vec(),
    }
}

fn hmac_verify(alg: Algorithm, key: &[u8], data: &[u8], signature: &[u8]) -> bool {
    // verify_slice compares in constant time.
    match alg {
        Algorithm::Hs256 => mac::<Hmac<Sha256>>(key, data)
            .verify_slice(signature)
            .is_ok(),
        Algorithm::Hs384 => mac::<Hmac<Sha384>>(key, data)
            .verify_slice(signature)
            .is_ok(),
        Algorithm::Hs512 => mac::<Hmac<Sha512>>(key, data)
            .verify_slice(signature)
            .is_ok(),
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> M {
    let mut mac =
        <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> JwtSecret {
        JwtSecret::new(DEFAULT_JWT_SECRET)
    }

    #[test]
    fn default_secret_reproduces_supabase_local_anon_key() {
        // The anon key printed by Supabase's local development for the
        // default secret, as published in many public projects.
        let expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
        assert_eq!(ProjectKeys::derive(&secret()).anon, expected);
    }

    #[test]
    fn signed_token_verifies_and_returns_claims() {
        let token = secret().sign(&json!({"role": "authenticated", "sub": "x", "exp": 4e9}));
        let claims = secret().verify(&token).unwrap();
        assert_eq!(claims["role"], "authenticated");
    }

    #[test]
    fn wrong_secret_is_refused() {
        let token = JwtSecret::new("another-secret-that-is-long-enough-for-hs256")
            .sign(&json!({"role": "anon"}));
        assert_eq!(secret().verify(&token), Err(JwtError::NoSuitableKey));
    }

    #[test]
    fn alg_none_is_refused() {
        let token =
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30.yOBhlOIqn56T-4NvyEXCjfi3UmyQZ-BzXtePMO2NgRI";
        let err = secret().verify(token).unwrap_err();
        assert_eq!(err, JwtError::Unsecured);
        assert_eq!(err.to_string(), "Wrong or unsupported encoding algorithm");
    }

    #[test]
    fn expiry_allows_thirty_seconds_of_skew() {
        let token = secret().sign(&json!({"role": "anon", "exp": 1000}));
        assert!(secret().verify_at(&token, 1029.0).is_ok());
        assert_eq!(secret().verify_at(&token, 1031.0), Err(JwtError::Expired));
    }

    #[test]
    fn nbf_and_iat_in_the_future_are_refused() {
        let nbf = secret().sign(&json!({"nbf": 2000}));
        assert_eq!(secret().verify_at(&nbf, 1900.0), Err(JwtError::NotYetValid));
        let iat = secret().sign(&json!({"iat": 2000}));
        assert_eq!(
            secret().verify_at(&iat, 1900.0),
            Err(JwtError::IssuedInFuture)
        );
    }

    #[test]
    fn non_numeric_exp_is_refused() {
        let token = secret().sign(&json!({"exp": "soon"}));
        assert_eq!(
            secret().verify(&token).unwrap_err().to_string(),
            "The JWT 'exp' claim must be a number"
        );
    }

    #[test]
    fn malformed_tokens_get_postgrest_messages() {
        assert_eq!(secret().verify(""), Err(JwtError::Empty));
        assert_eq!(secret().verify("a.b"), Err(JwtError::Parts(2)));
        assert_eq!(
            secret().verify("quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah"),
            Err(JwtError::Malformed)
        );
    }

    #[test]
    fn realtime_requires_role_and_exp() {
        let mut claims = Map::new();
        claims.insert("role".into(), json!("anon"));
        assert!(require_role_and_exp(&claims).is_err());
        claims.insert("exp".into(), json!(1));
        assert!(require_role_and_exp(&claims).is_ok());
    }
}
