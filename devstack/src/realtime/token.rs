//! JWT checks with Realtime's own error taxonomy: which failure a token has
//! decides both the handshake status and the channel error text. The
//! signature is checked by the stack's one key set; this module applies
//! Realtime's time and claim rules and names each failure.

use serde_json::Value;

use crate::jwt::{KeySet, VerifyError};

/// Verified JWT claims.
pub use crate::jwt::Claims;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// No token at all (no `apikey`).
    Missing,
    /// Not three base64url JSON parts, or the claims are not an object.
    Malformed,
    /// The signature does not verify with the project secret (or the
    /// algorithm is not one the secret can verify).
    Signature,
    /// `exp` is in the past.
    Expired {
        /// Whole seconds since expiry (0 when it expires this second).
        seconds_ago: i64,
    },
    /// `role` or `exp` is absent.
    MissingClaims,
    /// A registered claim has the wrong type (`exp` or `iat` not a number).
    InvalidClaims,
}

impl TokenError {
    /// HTTP status and `error` text of a refused websocket handshake.
    pub fn handshake(&self) -> (u16, &'static str) {
        match self {
            TokenError::Missing => (401, "API key is missing"),
            TokenError::Malformed => (401, "The token provided is not a valid JWT"),
            TokenError::Signature => (401, "Failed to validate JWT signature"),
            TokenError::Expired { .. } => (401, "Token has expired"),
            TokenError::MissingClaims => (401, "Fields `role` and `exp` are required in JWT"),
            TokenError::InvalidClaims => (500, "Error connecting to Realtime"),
        }
    }

    /// The `reason` of a refused `phx_join`.
    pub fn join_reason(&self) -> String {
        match self {
            TokenError::Missing | TokenError::Malformed => {
                "MalformedJWT: The token provided is not a valid JWT".into()
            }
            TokenError::Signature => "JwtSignatureError: Failed to validate JWT signature".into(),
            TokenError::Expired { seconds_ago } => {
                format!("InvalidJWTToken: Token has expired {seconds_ago} seconds ago")
            }
            TokenError::MissingClaims => {
                "InvalidJWTToken: Fields `role` and `exp` are required in JWT".into()
            }
            TokenError::InvalidClaims => "Unknown Error on Channel".into(),
        }
    }

    /// The `system` message that precedes `phx_close` when a joined
    /// channel's token stops being valid (timer re-check or `access_token`).
    pub fn shutdown_message(&self) -> String {
        match self {
            TokenError::Missing | TokenError::Malformed => {
                "The token provided is not a valid JWT".into()
            }
            // Realtime prints the raw error term for this case.
            TokenError::Signature => ":signature_error".into(),
            TokenError::Expired { seconds_ago } => {
                format!("Token has expired {seconds_ago} seconds ago")
            }
            TokenError::MissingClaims => "Fields `role` and `exp` are required in JWT".into(),
            TokenError::InvalidClaims => "Token claims are invalid".into(),
        }
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shutdown_message())
    }
}

impl std::error::Error for TokenError {}

/// Verifies `token` with the stack's keys at unix time `now` and returns
/// its claims, in the order Realtime checks them: shape, signature, `exp`
/// and `iat` types and expiry, then the presence of `role` and `exp`.
pub fn verify(token: &str, keys: &KeySet, now: i64) -> Result<Claims, TokenError> {
    let token: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    let claims = match keys.verify(&token) {
        Ok((claims, _)) => claims,
        Err(VerifyError::Empty) => return Err(TokenError::Missing),
        Err(VerifyError::Parts(_) | VerifyError::Header | VerifyError::Claims) => {
            return Err(TokenError::Malformed)
        }
        Err(_) => return Err(TokenError::Signature),
    };
    match claims.get("exp") {
        None => {}
        Some(Value::Number(n)) => {
            let exp = n.as_f64().unwrap_or(0.0).round() as i64;
            if exp <= now {
                return Err(TokenError::Expired {
                    seconds_ago: now - exp,
                });
            }
        }
        Some(_) => return Err(TokenError::InvalidClaims),
    }
    if matches!(claims.get("iat"), Some(v) if !v.is_number()) {
        return Err(TokenError::InvalidClaims);
    }
    if !claims.contains_key("role") || !claims.contains_key("exp") {
        return Err(TokenError::MissingClaims);
    }
    Ok(claims)
}

/// The claim `exp` of verified claims, in unix seconds.
pub fn expiry(claims: &Claims) -> i64 {
    claims
        .get("exp")
        .and_then(Value::as_f64)
        .map_or(0, |e| e.round() as i64)
}

/// The claim `role` as text (Realtime passes it to `set_config('role', …)`).
pub fn role(claims: &Claims) -> String {
    match claims.get("role") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{Algorithm, HmacSecret, SigningKey};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn secret() -> HmacSecret {
        HmacSecret::new("super-secret-jwt-token-with-at-least-32-characters-long")
    }

    fn keys() -> KeySet {
        KeySet::new(secret(), SigningKey::generate())
    }

    #[test]
    fn accepts_a_valid_token() {
        let keys = keys();
        let t = secret().sign(&json!({"role":"authenticated","exp":NOW + 60,"sub":"u1"}));
        let c = verify(&t, &keys, NOW).unwrap();
        assert_eq!(role(&c), "authenticated");
        assert_eq!(expiry(&c), NOW + 60);
        // Whitespace inside is ignored, as Realtime strips it.
        let spaced = format!(" {}\n", t);
        assert!(verify(&spaced, &keys, NOW).is_ok());
        let es = keys
            .signing_key()
            .sign(&json!({"role":"authenticated","exp":NOW + 60}));
        assert!(verify(&es, &keys, NOW).is_ok());
    }

    #[test]
    fn names_each_failure() {
        let keys = keys();
        assert_eq!(verify("", &keys, NOW), Err(TokenError::Missing));
        assert_eq!(verify("abc", &keys, NOW), Err(TokenError::Malformed));
        assert_eq!(verify("a.b.c.d", &keys, NOW), Err(TokenError::Malformed));
        let other = HmacSecret::new("another secret that is long enough to be one");
        let good = other.sign(&json!({"role":"anon","exp":NOW + 60}));
        assert_eq!(verify(&good, &keys, NOW), Err(TokenError::Signature));
        let stranger = SigningKey::generate().sign(&json!({"role":"anon","exp":NOW + 60}));
        assert_eq!(verify(&stranger, &keys, NOW), Err(TokenError::Signature));
        let expired = secret().sign(&json!({"role":"anon","exp":NOW - 42}));
        assert_eq!(
            verify(&expired, &keys, NOW),
            Err(TokenError::Expired { seconds_ago: 42 })
        );
        let no_role = secret().sign(&json!({"exp":NOW + 60}));
        assert_eq!(verify(&no_role, &keys, NOW), Err(TokenError::MissingClaims));
        let no_exp = secret().sign(&json!({"role":"anon"}));
        assert_eq!(verify(&no_exp, &keys, NOW), Err(TokenError::MissingClaims));
        let bad_exp = secret().sign(&json!({"role":"anon","exp":"soon"}));
        assert_eq!(verify(&bad_exp, &keys, NOW), Err(TokenError::InvalidClaims));
        let array_claims = format!(
            "{}.{}.x",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(b"[1]")
        );
        assert_eq!(
            verify(&array_claims, &keys, NOW),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn other_hmac_sizes_and_unsecured_tokens() {
        let keys = keys();
        let t = secret().sign_with(Algorithm::Hs512, &json!({"role":"anon","exp":NOW + 5}));
        assert!(verify(&t, &keys, NOW).is_ok());
        let payload = URL_SAFE_NO_PAD.encode(json!({"role":"anon","exp":NOW + 5}).to_string());
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#)
        );
        assert_eq!(verify(&none, &keys, NOW), Err(TokenError::Signature));
    }

    #[test]
    fn messages_match_realtime() {
        assert_eq!(TokenError::Missing.handshake(), (401, "API key is missing"));
        assert_eq!(
            TokenError::Expired { seconds_ago: 3 }.join_reason(),
            "InvalidJWTToken: Token has expired 3 seconds ago"
        );
        assert_eq!(
            TokenError::Expired { seconds_ago: 3 }.shutdown_message(),
            "Token has expired 3 seconds ago"
        );
    }
}
