//! Reading JSON Web Tokens without verifying them.
//!
//! The browser never holds the signing secret, so it cannot verify a token;
//! it only needs to read a few claims: `exp` to know when to refresh, `sub`
//! to know who it is, `role` to tell a project key from a user token. The
//! server verifies every token it receives.
//!
//! ```
//! use workflow_chat::supabase::jwt::Claims;
//! // {"alg":"HS256","typ":"JWT"} . {"sub":"u1","role":"authenticated","exp":2000000000,"iat":1999996400}
//! let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
//!              eyJzdWIiOiJ1MSIsInJvbGUiOiJhdXRoZW50aWNhdGVkIiwiZXhwIjoyMDAwMDAwMDAwLCJpYXQiOjE5OTk5OTY0MDB9.\
//!              c2lnbmF0dXJl";
//! let claims = Claims::decode(token).unwrap();
//! assert_eq!(claims.sub.as_deref(), Some("u1"));
//! assert_eq!(claims.exp, Some(2_000_000_000));
//! ```

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

/// The claims of a token that the client reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// Subject: the account id for user tokens.
    #[serde(default)]
    pub sub: Option<String>,
    /// Database role the server will switch to (`anon`, `authenticated`, ...).
    #[serde(default)]
    pub role: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<i64>,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: Option<i64>,
}

/// Why a string could not be read as a JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Not three non-empty dot-separated parts.
    Shape,
    /// A part is not unpadded base64url.
    Encoding,
    /// The header or payload is not a JSON object of the expected form.
    Json,
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwtError::Shape => "a JWT has three non-empty parts separated by dots",
            JwtError::Encoding => "a part of the JWT is not base64url",
            JwtError::Json => "the JWT header or payload is not a JSON object",
        })
    }
}

impl std::error::Error for JwtError {}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

impl Claims {
    /// Reads the claims of `token` after checking that it has the shape of a
    /// signed JWT: a header naming an algorithm, a JSON object payload and a
    /// signature part.
    pub fn decode(token: &str) -> Result<Claims, JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Shape);
        };
        if header.is_empty() || payload.is_empty() || signature.is_empty() {
            return Err(JwtError::Shape);
        }
        let header = decode_part(header)?;
        let payload = decode_part(payload)?;
        decode_part(signature)?;
        let header: Header = serde_json::from_slice(&header).map_err(|_| JwtError::Json)?;
        if header.alg.is_empty() {
            return Err(JwtError::Json);
        }
        serde_json::from_slice(&payload).map_err(|_| JwtError::Json)
    }
}

fn decode_part(part: &str) -> Result<Vec<u8>, JwtError> {
    // Some encoders pad; the JWT spec says they must not, but being lenient
    // here costs nothing since the server is the one that verifies.
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Encoding)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an unsigned-but-well-formed token with the given payload JSON.
    pub(crate) fn token_with(payload: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode("sig")
        )
    }

    #[test]
    fn reads_claims() {
        let t = token_with(r#"{"sub":"a","role":"anon","exp":10,"iat":5,"extra":[1]}"#);
        let c = Claims::decode(&t).unwrap();
        assert_eq!(c.sub.as_deref(), Some("a"));
        assert_eq!(c.role.as_deref(), Some("anon"));
        assert_eq!((c.iat, c.exp), (Some(5), Some(10)));
    }

    #[test]
    fn missing_claims_are_none() {
        let c = Claims::decode(&token_with("{}")).unwrap();
        assert_eq!(c, Claims::default());
    }

    #[test]
    fn rejects_wrong_shapes() {
        assert_eq!(Claims::decode("abc"), Err(JwtError::Shape));
        assert_eq!(Claims::decode("a.b"), Err(JwtError::Shape));
        assert_eq!(Claims::decode("a..c"), Err(JwtError::Shape));
        assert_eq!(Claims::decode("a.b.c.d"), Err(JwtError::Shape));
        assert_eq!(Claims::decode("a*.b.c"), Err(JwtError::Encoding));
        let not_json = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode("x"),
            URL_SAFE_NO_PAD.encode("{}")
        );
        assert_eq!(Claims::decode(&not_json), Err(JwtError::Json));
        let array_payload = token_with("[1]");
        assert_eq!(Claims::decode(&array_payload), Err(JwtError::Json));
    }
}
