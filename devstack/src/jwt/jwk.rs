//! JSON Web Keys (RFC 7517): the public keys of a JWKS document, as
//! Supabase publishes its own at `/auth/v1/.well-known/jwks.json` and as
//! third-party identity providers publish theirs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::Algorithm;

/// A public key that verifies signatures.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// P-256, for ES256.
    Ec(p256::ecdsa::VerifyingKey),
    /// RSA, for RS256.
    Rsa(rsa::PublicKey),
}

impl PublicKey {
    /// Whether this kind of key verifies `alg`.
    pub fn fits(&self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (PublicKey::Ec(_), Algorithm::Es256) | (PublicKey::Rsa(_), Algorithm::Rs256)
        )
    }

    /// Whether `signature` signs `input` under this key (for an algorithm
    /// the key [`fits`](Self::fits)).
    pub fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier as _;
        match self {
            PublicKey::Ec(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify(input, &sig).is_ok()),
            PublicKey::Rsa(key) => {
                use rsa::signature::Verifier as _;
                let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone());
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|sig| verifier.verify(input, &sig).is_ok())
            }
        }
    }
}

/// One key of a JWKS with the identifier tokens name it by.
#[derive(Debug, Clone)]
pub struct Jwk {
    /// `kid`, when the key has one.
    pub kid: Option<String>,
    /// The key itself.
    pub key: PublicKey,
}

/// Why a JWK could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwkError {
    /// A required member is absent.
    Missing(&'static str),
    /// A member is not valid (bad base64url, not a point on the curve, ...).
    Invalid(&'static str),
    /// A key type or curve the stack does not verify with.
    Unsupported,
    /// The document is not `{"keys": [...]}`.
    NotAKeySet,
}

impl std::fmt::Display for JwkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwkError::Missing(m) => write!(f, "JWK member \"{m}\" is missing"),
            JwkError::Invalid(m) => write!(f, "JWK member \"{m}\" is not valid"),
            JwkError::Unsupported => {
                f.write_str("only EC P-256 (ES256) and RSA (RS256) keys are supported")
            }
            JwkError::NotAKeySet => f.write_str("a JWKS must be an object with a \"keys\" array"),
        }
    }
}

impl std::error::Error for JwkError {}

/// Reads one public JWK. Keys marked for encryption only (`use: enc`) are
/// refused as unsupported.
pub fn parse(jwk: &Value) -> Result<Jwk, JwkError> {
    if jwk.get("use").and_then(Value::as_str) == Some("enc") {
        return Err(JwkError::Unsupported);
    }
    let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_string);
    let key = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => {
            if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Err(JwkError::Unsupported);
            }
            let x = b64_field(jwk, "x")?;
            let y = b64_field(jwk, "y")?;
            if x.len() != 32 || y.len() != 32 {
                return Err(JwkError::Invalid("x"));
            }
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(0x04);
            sec1.extend_from_slice(&x);
            sec1.extend_from_slice(&y);
            PublicKey::Ec(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                    .map_err(|_| JwkError::Invalid("x"))?,
            )
        }
        Some("RSA") => {
            let n = rsa::BoxedUint::from_be_slice_vartime(&b64_field(jwk, "n")?);
            let e = rsa::BoxedUint::from_be_slice_vartime(&b64_field(jwk, "e")?);
            PublicKey::Rsa(rsa::PublicKey::new(n, e).map_err(|_| JwkError::Invalid("n"))?)
        }
        Some(_) => return Err(JwkError::Unsupported),
        None => return Err(JwkError::Missing("kty")),
    };
    Ok(Jwk { kid, key })
}

/// Reads every key of a JWKS document (`{"keys": [...]}`); a key the stack
/// cannot use makes the whole document an error, so a misconfigured issuer
/// is noticed at start and not at the first token.
pub fn parse_set(document: &Value) -> Result<Vec<Jwk>, JwkError> {
    let keys = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwkError::NotAKeySet)?;
    keys.iter().map(parse).collect()
}

/// The public JWK of a P-256 key, with the members Supabase's JWKS gives
/// (`use: sig` and `key_ops: [verify]` forced, `alg: ES256`).
pub fn ec_public(key: &p256::ecdsa::VerifyingKey, kid: Option<&str>) -> Value {
    let point = key.to_sec1_point(false);
    let bytes = point.as_bytes();
    let mut jwk = json!({
        "kty": "EC",
        "crv": "P-256",
        "x": b64(&bytes[1..33]),
        "y": b64(&bytes[33..65]),
        "alg": "ES256",
        "use": "sig",
        "key_ops": ["verify"],
    });
    if let Some(kid) = kid {
        jwk["kid"] = Value::String(kid.to_string());
    }
    jwk
}

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A base64url member of a JWK, decoded.
pub fn b64_field(jwk: &Value, name: &'static str) -> Result<Vec<u8>, JwkError> {
    let text = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or(JwkError::Missing(name))?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| JwkError::Invalid(name))
}
