//! JSON Web Tokens for every service of the stack: one parser, one key set,
//! one verifier.
//!
//! A Supabase project verifies tokens with one set of keys shared by
//! PostgREST, Realtime, Storage and Auth: the legacy HS256 secret (which
//! also signs the legacy `anon`/`service_role` keys), the public parts of
//! the asymmetric signing keys (ES256 by default), and the keys of trusted
//! third-party issuers. This module decides whether a token's signature
//! verifies with that set; each service then applies its own time rules
//! and names failures in its own words (`keys.rs` for PostgREST,
//! `realtime/token.rs`, `storage/token.rs`, `auth/`), because clients and
//! tests see those texts.

pub mod jwk;
pub mod keyset;
pub mod signing;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

pub use keyset::KeySet;
pub use signing::{HmacSecret, SigningKey};

/// Verified (or about to be verified) JWT claims.
pub type Claims = Map<String, Value>;

/// Why a token's signature could not be accepted. Time claims are not
/// checked here: each service has its own rules for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// No token at all.
    Empty,
    /// Not three dot-separated parts (the count is given).
    Parts(usize),
    /// The header is not base64url JSON with a string `alg`.
    Header,
    /// The payload is not a base64url JSON object.
    Claims,
    /// The signature is not base64url.
    SignatureEncoding,
    /// `alg: none`: an unsecured token.
    Unsecured,
    /// An algorithm no Supabase service accepts.
    UnsupportedAlgorithm(String),
    /// No key of the set fits the token's algorithm and `kid` (an unknown
    /// `kid`, or an algorithm whose kind of key the set does not hold).
    NoSuitableKey,
    /// A key fits, but the signature is wrong.
    BadSignature,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::Empty => f.write_str("no token"),
            VerifyError::Parts(n) => write!(f, "expected 3 parts in JWT; got {n}"),
            VerifyError::Header => f.write_str("the JWT header is not valid"),
            VerifyError::Claims => f.write_str("the JWT claims are not a JSON object"),
            VerifyError::SignatureEncoding => f.write_str("the JWT signature is not base64url"),
            VerifyError::Unsecured => f.write_str("unsecured JWT (alg none)"),
            VerifyError::UnsupportedAlgorithm(alg) => write!(f, "unsupported algorithm {alg}"),
            VerifyError::NoSuitableKey => f.write_str("no key fits the JWT"),
            VerifyError::BadSignature => f.write_str("the JWT signature does not verify"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// The signature algorithms the stack knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA256 with the legacy secret.
    Hs256,
    /// HMAC-SHA384 with the legacy secret.
    Hs384,
    /// HMAC-SHA512 with the legacy secret.
    Hs512,
    /// ECDSA on P-256 with SHA-256: Supabase's default signing keys.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256: Supabase's RSA signing keys and most
    /// third-party identity providers.
    Rs256,
}

impl Algorithm {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::Hs384 => "HS384",
            Algorithm::Hs512 => "HS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Rs256 => "RS256",
        }
    }

    fn parse(alg: &str) -> Result<Algorithm, VerifyError> {
        Ok(match alg {
            "HS256" => Algorithm::Hs256,
            "HS384" => Algorithm::Hs384,
            "HS512" => Algorithm::Hs512,
            "ES256" => Algorithm::Es256,
            "RS256" => Algorithm::Rs256,
            "none" => return Err(VerifyError::Unsecured),
            other => return Err(VerifyError::UnsupportedAlgorithm(other.to_string())),
        })
    }
}

/// A compact JWS split into its parts; nothing verified yet.
#[derive(Debug, Clone)]
pub struct Compact<'a> {
    /// The signed part: `header.payload` as sent.
    pub signing_input: &'a str,
    /// The `alg` header.
    pub alg: Result<Algorithm, VerifyError>,
    /// The `kid` header, when present.
    pub kid: Option<String>,
    /// The payload.
    pub claims: Claims,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

impl<'a> Compact<'a> {
    /// Splits and decodes `token`, in the order the services report
    /// failures: part count, header, claims, then the signature encoding.
    pub fn parse(token: &'a str) -> Result<Compact<'a>, VerifyError> {
        if token.is_empty() {
            return Err(VerifyError::Empty);
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err(VerifyError::Parts(parts.len()));
        };
        let Some(Value::Object(header_json)) = decode_json(header) else {
            return Err(VerifyError::Header);
        };
        let Some(Value::String(alg)) = header_json.get("alg") else {
            return Err(VerifyError::Header);
        };
        let Some(Value::Object(claims)) = decode_json(payload) else {
            return Err(VerifyError::Claims);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature.trim_end_matches('='))
            .map_err(|_| VerifyError::SignatureEncoding)?;
        Ok(Compact {
            signing_input: &token[..header.len() + 1 + payload.len()],
            alg: Algorithm::parse(alg),
            kid: header_json
                .get("kid")
                .and_then(Value::as_str)
                .map(str::to_string),
            claims,
            signature,
        })
    }
}

fn decode_json(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Assembles a compact token from a header and claims (serialized in
/// their own field order, which keeps well-known keys byte-identical),
/// signing `header.payload` with `sign`.
pub(crate) fn encode<H: serde::Serialize, C: serde::Serialize>(
    header: &H,
    claims: &C,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).expect("header serializes"));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signing_input = format!("{header}.{payload}");
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A time claim that is present but not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// Reads a numeric claim (`None` when absent or null).
pub fn number_claim(claims: &Claims, name: &str) -> Result<Option<f64>, NotANumber> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(NotANumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn parse_reports_failures_in_order() {
        assert_eq!(Compact::parse("").unwrap_err(), VerifyError::Empty);
        assert_eq!(Compact::parse("a.b").unwrap_err(), VerifyError::Parts(2));
        assert_eq!(
            Compact::parse("a.b.c.d").unwrap_err(),
            VerifyError::Parts(4)
        );
        assert_eq!(Compact::parse("!.b.c").unwrap_err(), VerifyError::Header);
        let no_alg = format!("{}.{}.", b64("{}"), b64("{}"));
        assert_eq!(Compact::parse(&no_alg).unwrap_err(), VerifyError::Header);
        let array = format!("{}.{}.x", b64(r#"{"alg":"HS256"}"#), b64("[1]"));
        assert_eq!(Compact::parse(&array).unwrap_err(), VerifyError::Claims);
        let bad_sig = format!("{}.{}.*", b64(r#"{"alg":"HS256"}"#), b64("{}"));
        assert_eq!(
            Compact::parse(&bad_sig).unwrap_err(),
            VerifyError::SignatureEncoding
        );
    }

    #[test]
    fn parse_keeps_algorithm_problems_for_the_verifier() {
        let none = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64("{}"));
        assert_eq!(
            Compact::parse(&none).unwrap().alg,
            Err(VerifyError::Unsecured)
        );
        let odd = format!(
            "{}.{}.",
            b64(r#"{"alg":"PS512","kid":"k1"}"#),
            b64(r#"{"a":1}"#)
        );
        let parsed = Compact::parse(&odd).unwrap();
        assert_eq!(
            parsed.alg,
            Err(VerifyError::UnsupportedAlgorithm("PS512".into()))
        );
        assert_eq!(parsed.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.claims["a"], 1);
    }
}
