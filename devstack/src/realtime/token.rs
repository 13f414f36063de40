//! JWT checks with Realtime's own error taxonomy: which failure a token has
//! decides both the handshake status and the channel error text, so this
//! module verifies HS256/384/512 tokens itself and names each failure.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};

/// Verified JWT claims.
pub type Claims = Map<String, Value>;

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

fn decode_json_part(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn signature_ok(alg: &str, secret: &[u8], signed: &[u8], sig: &[u8]) -> bool {
    macro_rules! check {
        ($h:ty) => {{
            let Ok(mut mac) = Hmac::<$h>::new_from_slice(secret) else {
                return false;
            };
            mac.update(signed);
            mac.verify_slice(sig).is_ok()
        }};
    }
    match alg {
        "HS256" => check!(Sha256),
        "HS384" => check!(Sha384),
        "HS512" => check!(Sha512),
        _ => false,
    }
}

/// Verifies `token` with the project `secret` at unix time `now` and returns
/// its claims, in the order Realtime checks them: shape, signature, `exp`
/// and `iat` types and expiry, then the presence of `role` and `exp`.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<Claims, TokenError> {
    let token: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let Some(Value::Object(claims)) = decode_json_part(p) else {
        return Err(TokenError::Malformed);
    };
    let Some(Value::Object(header)) = decode_json_part(h) else {
        return Err(TokenError::Malformed);
    };
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let sig = URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| TokenError::Signature)?;
    let signed_len = h.len() + 1 + p.len();
    if !signature_ok(alg, secret, &token.as_bytes()[..signed_len], &sig) {
        return Err(TokenError::Signature);
    }
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

/// Signs `claims` as an HS256 JWT. Tests and the benchmark mint tokens
/// with it; the server only verifies.
pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signed}.{sig}")
}

/// Current unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"super-secret-jwt-token-with-at-least-32-characters-long";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn accepts_a_valid_token() {
        let t = sign_hs256(
            &json!({"role":"authenticated","exp":NOW + 60,"sub":"u1"}),
            SECRET,
        );
        let c = verify(&t, SECRET, NOW).unwrap();
        assert_eq!(role(&c), "authenticated");
        assert_eq!(expiry(&c), NOW + 60);
        // Whitespace inside is ignored, as Realtime strips it.
        let spaced = format!(" {}\n", t);
        assert!(verify(&spaced, SECRET, NOW).is_ok());
    }

    #[test]
    fn names_each_failure() {
        assert_eq!(verify("", SECRET, NOW), Err(TokenError::Missing));
        assert_eq!(verify("abc", SECRET, NOW), Err(TokenError::Malformed));
        assert_eq!(verify("a.b.c.d", SECRET, NOW), Err(TokenError::Malformed));
        let good = sign_hs256(&json!({"role":"anon","exp":NOW + 60}), SECRET);
        assert_eq!(
            verify(&good, b"another secret", NOW),
            Err(TokenError::Signature)
        );
        let expired = sign_hs256(&json!({"role":"anon","exp":NOW - 42}), SECRET);
        assert_eq!(
            verify(&expired, SECRET, NOW),
            Err(TokenError::Expired { seconds_ago: 42 })
        );
        let no_role = sign_hs256(&json!({"exp":NOW + 60}), SECRET);
        assert_eq!(
            verify(&no_role, SECRET, NOW),
            Err(TokenError::MissingClaims)
        );
        let no_exp = sign_hs256(&json!({"role":"anon"}), SECRET);
        assert_eq!(verify(&no_exp, SECRET, NOW), Err(TokenError::MissingClaims));
        let bad_exp = sign_hs256(&json!({"role":"anon","exp":"soon"}), SECRET);
        assert_eq!(
            verify(&bad_exp, SECRET, NOW),
            Err(TokenError::InvalidClaims)
        );
        let array_claims = format!(
            "{}.{}.x",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(b"[1]")
        );
        assert_eq!(
            verify(&array_claims, SECRET, NOW),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn other_hmac_sizes_and_unknown_algorithms() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512"}"#);
        let payload = URL_SAFE_NO_PAD.encode(json!({"role":"anon","exp":NOW + 5}).to_string());
        let signed = format!("{header}.{payload}");
        let mut mac = Hmac::<Sha512>::new_from_slice(SECRET).unwrap();
        mac.update(signed.as_bytes());
        let t = format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert!(verify(&t, SECRET, NOW).is_ok());
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#)
        );
        assert_eq!(verify(&none, SECRET, NOW), Err(TokenError::Signature));
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
