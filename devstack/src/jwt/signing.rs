//! The keys that sign: the legacy HMAC secret and the ES256 signing key.

use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::signature::Signer as _;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Sha256, Sha384, Sha512};
use std::fmt;

use super::{encode, jwk, Algorithm};

/// The project's legacy JWT secret: it signs the legacy `anon` and
/// `service_role` keys and Storage's signed URLs, and still verifies HS256
/// user tokens, as on a project migrated to signing keys.
#[derive(Clone)]
pub struct HmacSecret(Vec<u8>);

impl fmt::Debug for HmacSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSecret(..)")
    }
}

impl HmacSecret {
    /// Wraps a passphrase used as the HMAC key.
    pub fn new(secret: impl Into<String>) -> Self {
        HmacSecret(secret.into().into_bytes())
    }

    /// The passphrase as text (it is always built from a string).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Signs `claims` with HS256 (header `{"alg":"HS256","typ":"JWT"}`).
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        self.sign_with(Algorithm::Hs256, claims)
    }

    /// Whether `signature` is the HMAC of `input` under `alg`, compared in
    /// constant time.
    pub(crate) fn verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> bool {
        macro_rules! check {
            ($h:ty) => {{
                let mut mac = <Hmac<$h> as KeyInit>::new_from_slice(&self.0)
                    .expect("HMAC accepts keys of any length");
                mac.update(input);
                mac.verify_slice(signature).is_ok()
            }};
        }
        match alg {
            Algorithm::Hs256 => check!(Sha256),
            Algorithm::Hs384 => check!(Sha384),
            Algorithm::Hs512 => check!(Sha512),
            Algorithm::Es256 | Algorithm::Rs256 => false,
        }
    }

    fn mac(&self, alg: Algorithm, input: &[u8]) -> Vec<u8> {
        macro_rules! sign {
            ($h:ty) => {{
                let mut mac = <Hmac<$h> as KeyInit>::new_from_slice(&self.0)
                    .expect("HMAC accepts keys of any length");
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            }};
        }
        match alg {
            Algorithm::Hs384 => sign!(Sha384),
            Algorithm::Hs512 => sign!(Sha512),
            _ => sign!(Sha256),
        }
    }

    /// Signs `claims` with HS384 or HS512 as well (tests of the verifiers).
    pub fn sign_with<C: Serialize>(&self, alg: Algorithm, claims: &C) -> String {
        encode(&json!({"alg": alg.name(), "typ": "JWT"}), claims, |input| {
            self.mac(alg, input)
        })
    }
}

/// An asymmetric ES256 (ECDSA P-256, SHA-256) signing key with its `kid`,
/// the kind Supabase Auth signs user tokens with by default.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: p256::ecdsa::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

impl SigningKey {
    /// A new random key with a random UUID as `kid`.
    pub fn generate() -> SigningKey {
        loop {
            let mut scalar = [0u8; 32];
            getrandom::fill(&mut scalar).expect("the operating system provides randomness");
            // A random 256-bit string is a valid scalar except with
            // negligible probability; draw again in that case.
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&scalar) {
                return SigningKey {
                    kid: uuid::Uuid::new_v4().to_string(),
                    key,
                };
            }
        }
    }

    /// The key's identifier, sent as the `kid` header of its tokens.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as a compact ES256 JWT with header
    /// `{"alg":"ES256","kid":…,"typ":"JWT"}`.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        let header = json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"});
        encode(&header, claims, |input| {
            let signature: p256::ecdsa::Signature = self.key.sign(input);
            signature.to_bytes().to_vec()
        })
    }

    /// The public half, as a verifier holds it.
    pub fn verifying_key(&self) -> p256::ecdsa::VerifyingKey {
        *self.key.verifying_key()
    }

    /// The public JWK as Supabase publishes it in its JWKS.
    pub fn public_jwk(&self) -> Value {
        jwk::ec_public(&self.verifying_key(), Some(&self.kid))
    }

    /// The private JWK (with `d`), for storing the key in a data folder.
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        jwk["d"] = Value::String(jwk::b64(&self.key.to_bytes()));
        jwk["key_ops"] = json!(["sign", "verify"]);
        jwk
    }

    /// Reads a private EC P-256 JWK written by [`SigningKey::private_jwk`]
    /// (or any JWK with `kty: EC`, `crv: P-256`, `d` and `kid`).
    pub fn from_private_jwk(jwk: &Value) -> Result<SigningKey, jwk::JwkError> {
        let kid = jwk
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(jwk::JwkError::Missing("kid"))?;
        if jwk.get("kty").and_then(Value::as_str) != Some("EC")
            || jwk.get("crv").and_then(Value::as_str) != Some("P-256")
        {
            return Err(jwk::JwkError::Unsupported);
        }
        let d = jwk::b64_field(jwk, "d")?;
        let key =
            p256::ecdsa::SigningKey::from_slice(&d).map_err(|_| jwk::JwkError::Invalid("d"))?;
        Ok(SigningKey {
            kid: kid.to_string(),
            key,
        })
    }
}
