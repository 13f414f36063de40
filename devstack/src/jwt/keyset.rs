//! The keys a stack trusts, and the one signature check every service uses.
//!
//! Key choice follows GoTrue and Storage (`internal/api/auth.go`,
//! `src/internal/auth/jwt.ts`): HMAC algorithms verify with the legacy
//! secret only (never with a public key, which closes the classic
//! algorithm-confusion attack); asymmetric algorithms verify with a public
//! key of the matching type whose `kid` equals the token's (a token
//! without `kid` may only use a key without one). An unknown `kid` is
//! refused, never retried with other keys.

use serde_json::{json, Value};

use super::jwk::{self, Jwk, JwkError};
use super::{Algorithm, Claims, Compact, HmacSecret, SigningKey, VerifyError};

/// Where a trusted key comes from; reported with verified tokens so the
/// services can tell a Supabase Auth user from a third-party one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The legacy HS256 secret.
    LegacySecret,
    /// One of the stack's own signing keys.
    SigningKey,
    /// A third-party identity provider's key (its issuer).
    ThirdParty(String),
}

#[derive(Debug, Clone)]
struct Trusted {
    jwk: Jwk,
    source: KeySource,
}

/// Every key the stack accepts tokens from, and the key it signs with.
#[derive(Debug, Clone)]
pub struct KeySet {
    legacy: HmacSecret,
    legacy_trusted: bool,
    signing: SigningKey,
    trusted: Vec<Trusted>,
}

impl KeySet {
    /// A key set that signs with `signing` and also trusts the legacy
    /// secret, as a project migrated to signing keys does until the secret
    /// is revoked.
    pub fn new(legacy: HmacSecret, signing: SigningKey) -> KeySet {
        let own = Trusted {
            jwk: Jwk {
                kid: Some(signing.kid().to_string()),
                key: jwk::PublicKey::Ec(signing.verifying_key()),
            },
            source: KeySource::SigningKey,
        };
        KeySet {
            legacy,
            legacy_trusted: true,
            signing,
            trusted: vec![own],
        }
    }

    /// Also trusts the keys of a third-party issuer's JWKS document.
    pub fn trust_issuer(&mut self, issuer: &str, jwks: &Value) -> Result<usize, JwkError> {
        let keys = jwk::parse_set(jwks)?;
        let count = keys.len();
        self.trusted.extend(keys.into_iter().map(|jwk| Trusted {
            jwk,
            source: KeySource::ThirdParty(issuer.to_string()),
        }));
        Ok(count)
    }

    /// The key that signs the stack's user tokens.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The legacy secret. It keeps signing the legacy API keys and
    /// Storage's signed URLs even when no longer trusted for user tokens.
    pub fn legacy_secret(&self) -> &HmacSecret {
        &self.legacy
    }

    /// Stops accepting tokens signed with the legacy secret, as after
    /// "Revoke legacy JWT secret" on a Supabase project.
    pub fn revoke_legacy_secret(&mut self) {
        self.legacy_trusted = false;
    }

    /// The stack's JWKS document: the public parts of its own signing keys
    /// only (never the legacy secret, never third-party keys), as
    /// `/auth/v1/.well-known/jwks.json` serves it.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .trusted
            .iter()
            .filter(|t| t.source == KeySource::SigningKey)
            .filter_map(|t| match &t.jwk.key {
                jwk::PublicKey::Ec(key) => Some(jwk::ec_public(key, t.jwk.kid.as_deref())),
                jwk::PublicKey::Rsa(_) => None,
            })
            .collect();
        json!({ "keys": keys })
    }

    /// Checks a token's signature and returns its claims and the source of
    /// the key that verified it. Time claims are left to the caller.
    pub fn verify(&self, token: &str) -> Result<(Claims, KeySource), VerifyError> {
        let parsed = Compact::parse(token)?;
        let alg = parsed.alg.clone()?;
        let input = parsed.signing_input.as_bytes();
        match alg {
            Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => {
                if !self.legacy_trusted {
                    return Err(VerifyError::NoSuitableKey);
                }
                if self.legacy.verifies(alg, input, &parsed.signature) {
                    Ok((parsed.claims, KeySource::LegacySecret))
                } else {
                    Err(VerifyError::BadSignature)
                }
            }
            Algorithm::Es256 | Algorithm::Rs256 => {
                let mut candidates = self
                    .trusted
                    .iter()
                    .filter(|t| t.jwk.key.fits(alg) && t.jwk.kid == parsed.kid)
                    .peekable();
                if candidates.peek().is_none() {
                    return Err(VerifyError::NoSuitableKey);
                }
                candidates
                    .find(|t| t.jwk.key.verifies(input, &parsed.signature))
                    .map(|t| (parsed.claims.clone(), t.source.clone()))
                    .ok_or(VerifyError::BadSignature)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::json;

    fn legacy() -> HmacSecret {
        HmacSecret::new("super-secret-jwt-token-with-at-least-32-characters-long")
    }

    fn claims() -> Value {
        json!({"role": "authenticated", "sub": "u1", "exp": 4_000_000_000u64})
    }

    #[test]
    fn es256_tokens_of_the_signing_key_verify() {
        let signing = SigningKey::generate();
        let set = KeySet::new(legacy(), signing.clone());
        let (claims, source) = set.verify(&signing.sign(&claims())).unwrap();
        assert_eq!(claims["sub"], "u1");
        assert_eq!(source, KeySource::SigningKey);
    }

    #[test]
    fn legacy_hs256_tokens_still_verify_until_the_secret_is_gone() {
        let token = legacy().sign(&claims());
        let set = KeySet::new(legacy(), SigningKey::generate());
        assert_eq!(set.verify(&token).unwrap().1, KeySource::LegacySecret);
        let mut revoked = set.clone();
        revoked.revoke_legacy_secret();
        assert_eq!(revoked.verify(&token), Err(VerifyError::NoSuitableKey));
        let other = HmacSecret::new("another-secret-that-is-long-enough-for-hs256");
        assert_eq!(
            set.verify(&other.sign(&claims())),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn another_stacks_key_and_an_unknown_kid_are_refused() {
        let set = KeySet::new(legacy(), SigningKey::generate());
        // Same kid cannot happen by chance; a different key has its own.
        let stranger = SigningKey::generate();
        assert_eq!(
            set.verify(&stranger.sign(&claims())),
            Err(VerifyError::NoSuitableKey)
        );
        // A token claiming our kid but signed by another key.
        let ours = set.signing_key().kid().to_string();
        let forged = SigningKey::from_private_jwk(&{
            let mut jwk = stranger.private_jwk();
            jwk["kid"] = json!(ours);
            jwk
        })
        .unwrap();
        assert_eq!(
            set.verify(&forged.sign(&claims())),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn algorithm_confusion_cannot_turn_the_public_key_into_an_hmac_secret() {
        let signing = SigningKey::generate();
        let set = KeySet::new(legacy(), signing.clone());
        // An attacker signs HS256 with the public key's JWK text as secret.
        let public = signing.public_jwk().to_string();
        let token = HmacSecret::new(public).sign(&claims());
        assert_eq!(set.verify(&token), Err(VerifyError::BadSignature));
        // And relabelling an ES256 token as RS256 finds no RSA key.
        let es = signing.sign(&claims());
        let mut parts = es.splitn(2, '.');
        let _ = parts.next();
        let rest = parts.next().unwrap();
        let header =
            URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": signing.kid()}).to_string());
        assert_eq!(
            set.verify(&format!("{header}.{rest}")),
            Err(VerifyError::NoSuitableKey)
        );
    }

    #[test]
    fn alg_none_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        let set = KeySet::new(legacy(), SigningKey::generate());
        assert_eq!(
            set.verify(&format!("{header}.{payload}.")),
            Err(VerifyError::Unsecured)
        );
    }

    #[test]
    fn third_party_keys_verify_their_tokens_and_name_the_issuer() {
        let provider = SigningKey::generate();
        let mut set = KeySet::new(legacy(), SigningKey::generate());
        let jwks = json!({"keys": [provider.public_jwk()]});
        assert_eq!(set.trust_issuer("https://idp.example", &jwks), Ok(1));
        let (_, source) = set.verify(&provider.sign(&claims())).unwrap();
        assert_eq!(source, KeySource::ThirdParty("https://idp.example".into()));
        // Third-party keys are not published as the stack's own.
        assert_eq!(set.jwks()["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn rs256_tokens_verify_with_an_rsa_jwk() {
        // A 2048-bit key made with openssl; the token was signed with it.
        let jwks = json!({"keys": [{
            "kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
            "e": "AQAB",
            "n": RSA_N,
        }]});
        let mut set = KeySet::new(legacy(), SigningKey::generate());
        set.trust_issuer("https://rsa.example", &jwks).unwrap();
        let (claims, _) = set.verify(RSA_TOKEN).unwrap();
        assert_eq!(claims["sub"], "rsa-user");
        // One flipped byte of the payload breaks it.
        let parts: Vec<&str> = RSA_TOKEN.split('.').collect();
        let other_payload = URL_SAFE_NO_PAD.encode(
            json!({"sub": "someone-else", "role": "authenticated", "exp": 4_000_000_000u64})
                .to_string(),
        );
        let tampered = format!("{}.{other_payload}.{}", parts[0], parts[2]);
        assert_eq!(set.verify(&tampered), Err(VerifyError::BadSignature));
    }

    #[test]
    fn jwks_documents_with_unusable_keys_are_refused() {
        let mut set = KeySet::new(legacy(), SigningKey::generate());
        assert_eq!(
            set.trust_issuer("x", &json!({"keys": [{"kty": "oct", "k": "AA"}]})),
            Err(JwkError::Unsupported)
        );
        assert_eq!(
            set.trust_issuer("x", &json!([1])),
            Err(JwkError::NotAKeySet)
        );
        assert_eq!(
            set.trust_issuer(
                "x",
                &json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]})
            ),
            Err(JwkError::Invalid("x"))
        );
    }

    #[test]
    fn jwks_lists_the_signing_key_as_supabase_does() {
        let signing = SigningKey::generate();
        let jwks = KeySet::new(legacy(), signing.clone()).jwks();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert_eq!(key["alg"], "ES256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["key_ops"], json!(["verify"]));
        assert_eq!(key["kid"], signing.kid());
        assert!(key.get("d").is_none(), "never the private part");
        // The published key verifies the key's tokens on its own.
        let mut reader = KeySet::new(legacy(), SigningKey::generate());
        reader.trust_issuer("self", &jwks).unwrap();
        assert!(reader.verify(&signing.sign(&claims())).is_ok());
    }

    #[test]
    fn private_jwk_round_trips() {
        let signing = SigningKey::generate();
        let again = SigningKey::from_private_jwk(&signing.private_jwk()).unwrap();
        assert_eq!(again.kid(), signing.kid());
        let set = KeySet::new(legacy(), signing);
        assert!(set.verify(&again.sign(&claims())).is_ok());
    }

    const RSA_N: &str = "rpOh7BH-AR-f8RkT_DBoR9w6Y_sT-2wVpvaIFse8O-ovKDVEOWNjAU9Lh69xaebQfpeuYYH7QtzYeGb9WSJK0j5VS01fTrTLcjzvgljNc3wKti27qmigas-hpWSdsIydgRqW2zEpwOS2_Yp7lHoQv99cYlsf3gUytvC199bq1fWQvdGmH8pwMogetTP2ppBWuurqw7qw7oVb17uOPhaVoeuvFtkl6CsWrHiBdKlVAF7LYX2HeaWMWAjg2spYZZK9n0MMi1Rbf0vp8gZLmMHKzXS2WrsDcFll6Y7lZOaqdoJLGd9c_rZD6KwXxtTupdwJkQybvUc_kR66Kwg42kYvLQ";
    const RSA_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIiwidHlwIjoiSldUIn0.eyJzdWIiOiJyc2EtdXNlciIsInJvbGUiOiJhdXRoZW50aWNhdGVkIiwiaXNzIjoiaHR0cHM6Ly9yc2EuZXhhbXBsZSIsImV4cCI6NDAwMDAwMDAwMH0.YsynSpMYHtF7uWDHWLG68XBLSTmt9k4IGS-NeOkI-R4WanObTGmpgTY0FRX_XLbtmt3Vulcgqbi91qMCKRLy32smF8Azn6XOVZBCxVBFe0Lox22IAlRG7sJHQp0PtTf13QiE_i2S2W8EUmN-_51AJDKOtYiLqwlYETKTydYsod4F8kQV5flgIAVsx-nG9pRWCTrLe8k3rIaDMHrr4S12TA66eN22_RxPK5adN20bccZesN5uNPat5_dLgQFTHVnAR9dJfBdgkQ2RVSXj-k5aSblw0NxUVHWrNXnuG1JDKSp6lzek7vZC4iE6ygD0NmumirKtQCNImHwdAtKKZ3EmkA";
}
