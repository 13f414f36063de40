//! PostgREST's JWT handling (`src/PostgREST/Auth/Jwt.hs` and `Error.hs` in
//! PostgREST/postgrest): the signature through the stack's one key set,
//! then PostgREST's time rules and error texts.

use std::fmt;

use serde_json::{Map, Value};

use crate::jwt::{number_claim, KeySet, VerifyError};

/// Clock skew allowed on `exp`, `nbf` and `iat`, as PostgREST allows.
pub const CLOCK_SKEW_SECS: f64 = 30.0;

/// Verifies a bearer token as of `now` (seconds since the epoch).
pub fn verify(keys: &KeySet, token: &str, now: f64) -> Result<Map<String, Value>, JwtError> {
    let (claims, _) = keys.verify(token).map_err(JwtError::from)?;
    check_time_claims(&claims, now)?;
    Ok(claims)
}

impl From<VerifyError> for JwtError {
    fn from(err: VerifyError) -> Self {
        match err {
            VerifyError::Empty => JwtError::Empty,
            VerifyError::Parts(n) => JwtError::Parts(n),
            VerifyError::Header | VerifyError::SignatureEncoding => JwtError::Malformed,
            VerifyError::UnsupportedAlgorithm(_) => JwtError::Malformed,
            VerifyError::Claims => JwtError::ClaimsUnparsable,
            VerifyError::Unsecured => JwtError::Unsecured,
            VerifyError::NoSuitableKey | VerifyError::BadSignature => JwtError::NoSuitableKey,
        }
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

fn check_time_claims(claims: &Map<String, Value>, now: f64) -> Result<(), JwtError> {
    let number = |name: &'static str| -> Result<Option<f64>, JwtError> {
        number_claim(claims, name).map_err(|_| JwtError::ClaimNotNumber(name))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::DEFAULT_JWT_SECRET;
    use crate::jwt::{HmacSecret, SigningKey};
    use serde_json::json;

    fn secret() -> HmacSecret {
        HmacSecret::new(DEFAULT_JWT_SECRET)
    }

    fn keys() -> KeySet {
        KeySet::new(secret(), SigningKey::generate())
    }

    fn check(token: &str, now: f64) -> Result<Map<String, Value>, JwtError> {
        verify(&keys(), token, now)
    }

    #[test]
    fn signed_tokens_verify_with_both_kinds_of_key() {
        let legacy = secret().sign(&json!({"role": "authenticated", "sub": "x", "exp": 4e9}));
        assert_eq!(check(&legacy, 1e9).unwrap()["role"], "authenticated");
        let set = keys();
        let es = set
            .signing_key()
            .sign(&json!({"role": "authenticated", "exp": 4e9}));
        assert!(verify(&set, &es, 1e9).is_ok());
    }

    #[test]
    fn wrong_secret_unknown_kid_and_alg_none_are_refused() {
        let token = HmacSecret::new("another-secret-that-is-long-enough-for-hs256")
            .sign(&json!({"role": "anon"}));
        assert_eq!(check(&token, 1e9), Err(JwtError::NoSuitableKey));
        let stranger = SigningKey::generate().sign(&json!({"role": "anon"}));
        assert_eq!(check(&stranger, 1e9), Err(JwtError::NoSuitableKey));
        let none =
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30.yOBhlOIqn56T-4NvyEXCjfi3UmyQZ-BzXtePMO2NgRI";
        let err = check(none, 1e9).unwrap_err();
        assert_eq!(err, JwtError::Unsecured);
        assert_eq!(err.to_string(), "Wrong or unsupported encoding algorithm");
    }

    #[test]
    fn expiry_allows_thirty_seconds_of_skew() {
        let token = secret().sign(&json!({"role": "anon", "exp": 1000}));
        assert!(check(&token, 1029.0).is_ok());
        assert_eq!(check(&token, 1031.0), Err(JwtError::Expired));
    }

    #[test]
    fn nbf_and_iat_in_the_future_are_refused() {
        let nbf = secret().sign(&json!({"nbf": 2000}));
        assert_eq!(check(&nbf, 1900.0), Err(JwtError::NotYetValid));
        let iat = secret().sign(&json!({"iat": 2000}));
        assert_eq!(check(&iat, 1900.0), Err(JwtError::IssuedInFuture));
    }

    #[test]
    fn non_numeric_exp_is_refused() {
        let token = secret().sign(&json!({"exp": "soon"}));
        assert_eq!(
            check(&token, 1e9).unwrap_err().to_string(),
            "The JWT 'exp' claim must be a number"
        );
    }

    #[test]
    fn malformed_tokens_get_postgrest_messages() {
        assert_eq!(check("", 1e9), Err(JwtError::Empty));
        assert_eq!(check("a.b", 1e9), Err(JwtError::Parts(2)));
        assert_eq!(
            check("quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah", 1e9),
            Err(JwtError::Malformed)
        );
    }
}
