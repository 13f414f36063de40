//! The API gateway in front of every service: which project keys exist and
//! what `Authorization` a service receives for a request.
//!
//! A Supabase project has two kinds of API keys. The opaque ones,
//! `sb_publishable_…` for browsers and `sb_secret_…` for servers, are not
//! JWTs: the gateway swaps them for internal JWTs of the `anon` and
//! `service_role` roles. The legacy ones are long-lived HS256 JWTs with
//! those roles, passed through as they are. Rules from Supabase's self-host
//! Kong configuration and the CLI's proxy (supabase-wire section 7.8):
//! an incoming `Authorization` wins unless it is absent or carries an `sb_`
//! key; a secret key from a browser is refused.

use serde::Serialize;

use crate::jwt::HmacSecret;

/// The JWT secret of Supabase's local development; devstack uses it unless
/// told otherwise, so its legacy anon and service-role keys are the
/// well-known local ones.
pub const DEFAULT_JWT_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";

/// Expiry of the legacy project keys (2032-11-11), the value Supabase's
/// local development keys carry.
const LEGACY_KEY_EXP: i64 = 1_983_812_996;

/// Prefix of publishable keys.
pub const PUBLISHABLE_PREFIX: &str = "sb_publishable_";
/// Prefix of secret keys.
pub const SECRET_PREFIX: &str = "sb_secret_";

/// The project's API keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeys {
    /// `sb_publishable_…`: for browsers; the `anon` role.
    pub publishable: String,
    /// `sb_secret_…`: for servers only; the `service_role` role.
    pub secret: String,
    /// Legacy JWT with `role: anon`.
    pub anon: String,
    /// Legacy JWT with `role: service_role`.
    pub service_role: String,
}

/// Which key a request presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The publishable key.
    Publishable,
    /// The secret key.
    Secret,
    /// The legacy anon JWT.
    LegacyAnon,
    /// The legacy service-role JWT.
    LegacyServiceRole,
}

impl KeyKind {
    /// Whether the key acts as `service_role` (Auth's admin API requires it).
    pub fn is_service(self) -> bool {
        matches!(self, KeyKind::Secret | KeyKind::LegacyServiceRole)
    }
}

#[derive(Serialize)]
struct LegacyClaims<'a> {
    iss: &'a str,
    role: &'a str,
    exp: i64,
}

impl ApiKeys {
    /// The keys of a stack: its opaque keys as given, and the legacy JWT keys
    /// signed with `legacy` with the claims (`iss`, `role`, `exp`, in that
    /// order) of Supabase's local keys.
    pub fn new(legacy: &HmacSecret, publishable: String, secret: String) -> ApiKeys {
        let key = |role| {
            legacy.sign(&LegacyClaims {
                iss: "supabase-demo",
                role,
                exp: LEGACY_KEY_EXP,
            })
        };
        ApiKeys {
            publishable,
            secret,
            anon: key("anon"),
            service_role: key("service_role"),
        }
    }

    /// A fresh random pair of opaque keys: `(publishable, secret)`.
    pub fn generate_opaque() -> (String, String) {
        (
            format!("{PUBLISHABLE_PREFIX}{}", random_token(24)),
            format!("{SECRET_PREFIX}{}", random_token(24)),
        )
    }

    /// Which key `key` is, if any.
    pub fn kind(&self, key: &str) -> Option<KeyKind> {
        if key == self.publishable {
            Some(KeyKind::Publishable)
        } else if key == self.secret {
            Some(KeyKind::Secret)
        } else if key == self.anon {
            Some(KeyKind::LegacyAnon)
        } else if key == self.service_role {
            Some(KeyKind::LegacyServiceRole)
        } else {
            None
        }
    }

    /// The JWT a key stands for: the internal role JWT for opaque keys, the
    /// key itself for legacy ones.
    pub fn role_jwt(&self, kind: KeyKind) -> &str {
        match kind {
            KeyKind::Publishable | KeyKind::LegacyAnon => &self.anon,
            KeyKind::Secret | KeyKind::LegacyServiceRole => &self.service_role,
        }
    }
}

/// Why the gateway refused a request. All are HTTP 401 with a `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayError {
    /// No `apikey` header or query parameter.
    MissingKey,
    /// `apikey` is not one of the project's keys, or `Authorization` carries
    /// an opaque key other than the `apikey`.
    InvalidKey,
    /// The secret key, sent by a browser.
    SecretKeyInBrowser,
}

impl GatewayError {
    /// The gateway's `message`.
    pub fn message(self) -> &'static str {
        match self {
            GatewayError::MissingKey => "No API key found in request",
            GatewayError::InvalidKey => "Invalid API key",
            GatewayError::SecretKeyInBrowser => "Forbidden use of secret API key in browser",
        }
    }

    /// The gateway's `hint`, when it gives one.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            GatewayError::MissingKey => None,
            GatewayError::InvalidKey => {
                Some("Double check your Supabase `anon` or `service_role` API key.")
            }
            GatewayError::SecretKeyInBrowser => Some(
                "Secret API keys can only be used in a protected environment and should never be used in a browser. Use a publishable key instead.",
            ),
        }
    }
}

impl GatewayError {
    /// The JSON body of the refusal: `{"message"}` plus `hint` when given.
    pub fn body(self) -> serde_json::Value {
        let mut body = serde_json::json!({ "message": self.message() });
        if let Some(hint) = self.hint() {
            body["hint"] = serde_json::Value::String(hint.into());
        }
        body
    }
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for GatewayError {}

/// What reaches a service behind the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// The key the request presented, when it was one of the project's.
    pub key: Option<KeyKind>,
    /// The bearer token the service sees (`None`: no `Authorization` and no
    /// usable key, or another scheme than `Bearer`).
    pub bearer: Option<String>,
}

/// What a request carries that the gateway reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// `apikey` header, else query parameter.
    pub apikey: Option<&'a str>,
    /// The raw `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
}

/// Reads what the gateway looks at from request headers; `query_apikey` is
/// the `apikey` query parameter, used when no `apikey` header is sent.
pub fn presented<'a>(
    headers: &'a axum::http::HeaderMap,
    query_apikey: Option<&'a str>,
) -> Presented<'a> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Presented {
        apikey: header("apikey").or(query_apikey),
        authorization: header("authorization"),
        user_agent: header("user-agent"),
    }
}

/// Applies the gateway's rules. With `require_key` (REST, Realtime REST,
/// Auth) a missing or unknown `apikey` is refused; without it (Storage,
/// whose routes Supabase does not key-check) such a request goes on with
/// whatever `Authorization` it has, or the raw `apikey` as the bearer.
pub fn forward(
    keys: &ApiKeys,
    presented: Presented<'_>,
    require_key: bool,
) -> Result<Forwarded, GatewayError> {
    let apikey = presented.apikey.map(str::trim).filter(|k| !k.is_empty());
    let kind = apikey.and_then(|k| keys.kind(k));
    match (apikey, kind) {
        (None, _) if require_key => return Err(GatewayError::MissingKey),
        (Some(_), None) if require_key => return Err(GatewayError::InvalidKey),
        _ => {}
    }
    if kind == Some(KeyKind::Secret) && presented.user_agent.is_some_and(is_browser) {
        return Err(GatewayError::SecretKeyInBrowser);
    }
    let bearer = match presented.authorization.map(str::trim) {
        Some(value) => match bearer_token(value) {
            Some(token) if token.starts_with("sb_") => {
                // An opaque key as bearer is only accepted when it repeats
                // the apikey (what supabase-js sends without a session).
                if Some(token) != apikey || kind.is_none() {
                    return Err(GatewayError::InvalidKey);
                }
                kind.map(|k| keys.role_jwt(k).to_string())
            }
            Some(token) => Some(token.to_string()),
            None => None,
        },
        None => match kind {
            Some(k) => Some(keys.role_jwt(k).to_string()),
            None => apikey.map(str::to_string),
        },
    };
    Ok(Forwarded { key: kind, bearer })
}

/// The token of a `Bearer` authorization (scheme matched case-insensitively;
/// an empty token for a bare `Bearer`), or `None` for another scheme.
pub fn bearer_token(value: &str) -> Option<&str> {
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Some(token.trim()),
        None if value.eq_ignore_ascii_case("bearer") => Some(""),
        _ => None,
    }
}

/// The token a Realtime socket authenticates with: its `apikey` query
/// parameter, swapped for the role JWT when it is an opaque key.
pub fn socket_token(keys: &ApiKeys, apikey: &str) -> String {
    match keys.kind(apikey.trim()) {
        Some(kind @ (KeyKind::Publishable | KeyKind::Secret)) => keys.role_jwt(kind).to_string(),
        _ => apikey.to_string(),
    }
}

/// Browsers identify as `Mozilla/…`; servers (Node's fetch, curl,
/// reqwest) do not.
fn is_browser(user_agent: &str) -> bool {
    user_agent.starts_with("Mozilla/")
}

/// `len` random base64url characters.
pub fn random_token(len: usize) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let mut bytes = vec![0u8; len.div_ceil(4) * 3];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let mut text = URL_SAFE_NO_PAD.encode(bytes);
    text.truncate(len);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ApiKeys {
        ApiKeys::new(
            &HmacSecret::new(DEFAULT_JWT_SECRET),
            "sb_publishable_pub".into(),
            "sb_secret_sec".into(),
        )
    }

    fn present<'a>(apikey: Option<&'a str>, authorization: Option<&'a str>) -> Presented<'a> {
        Presented {
            apikey,
            authorization,
            user_agent: None,
        }
    }

    #[test]
    fn default_secret_reproduces_supabase_local_anon_key() {
        // The anon key printed by Supabase's local development for the
        // default secret, as published in many public projects.
        let expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
        assert_eq!(keys().anon, expected);
    }

    #[test]
    fn opaque_keys_become_role_jwts_when_no_authorization_is_sent() {
        let k = keys();
        let pubf = forward(&k, present(Some("sb_publishable_pub"), None), true).unwrap();
        assert_eq!(pubf.key, Some(KeyKind::Publishable));
        assert_eq!(pubf.bearer.as_deref(), Some(k.anon.as_str()));
        let sec = forward(&k, present(Some("sb_secret_sec"), None), true).unwrap();
        assert_eq!(sec.bearer.as_deref(), Some(k.service_role.as_str()));
        // The same key repeated as bearer (supabase-js without a session).
        let repeated = forward(
            &k,
            present(
                Some("sb_publishable_pub"),
                Some("Bearer sb_publishable_pub"),
            ),
            true,
        )
        .unwrap();
        assert_eq!(repeated.bearer.as_deref(), Some(k.anon.as_str()));
    }

    #[test]
    fn a_user_token_in_authorization_wins() {
        let f = forward(
            &keys(),
            present(Some("sb_publishable_pub"), Some("Bearer user.jwt.here")),
            true,
        )
        .unwrap();
        assert_eq!(f.bearer.as_deref(), Some("user.jwt.here"));
    }

    #[test]
    fn legacy_keys_pass_through() {
        let k = keys();
        let f = forward(&k, present(Some(&k.anon), None), true).unwrap();
        assert_eq!(f.key, Some(KeyKind::LegacyAnon));
        assert_eq!(f.bearer.as_deref(), Some(k.anon.as_str()));
    }

    #[test]
    fn refusals() {
        let k = keys();
        assert_eq!(
            forward(&k, present(None, None), true),
            Err(GatewayError::MissingKey)
        );
        assert_eq!(
            forward(&k, present(Some("sb_publishable_other"), None), true),
            Err(GatewayError::InvalidKey)
        );
        // An opaque bearer that is not the apikey.
        assert_eq!(
            forward(
                &k,
                present(Some("sb_publishable_pub"), Some("Bearer sb_secret_sec")),
                true
            ),
            Err(GatewayError::InvalidKey)
        );
        let browser = Presented {
            apikey: Some("sb_secret_sec"),
            authorization: None,
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/156"),
        };
        assert_eq!(
            forward(&k, browser, true),
            Err(GatewayError::SecretKeyInBrowser)
        );
        // The publishable key from a browser is what browsers should use.
        let browser_pub = Presented {
            apikey: Some("sb_publishable_pub"),
            ..browser
        };
        assert!(forward(&k, browser_pub, true).is_ok());
    }

    #[test]
    fn without_a_required_key_the_request_goes_on() {
        let k = keys();
        let f = forward(&k, present(None, Some("Bearer t")), false).unwrap();
        assert_eq!(f.bearer.as_deref(), Some("t"));
        let raw = forward(&k, present(Some("not-a-key"), None), false).unwrap();
        assert_eq!(raw.bearer.as_deref(), Some("not-a-key"));
        let other_scheme = forward(&k, present(Some(&k.anon), Some("Basic x")), true).unwrap();
        assert_eq!(other_scheme.bearer, None);
    }

    #[test]
    fn sockets_swap_opaque_keys() {
        let k = keys();
        assert_eq!(socket_token(&k, "sb_publishable_pub"), k.anon);
        assert_eq!(socket_token(&k, "some.jwt.x"), "some.jwt.x");
    }

    #[test]
    fn generated_keys_have_the_prefixes_and_differ() {
        let (p1, s1) = ApiKeys::generate_opaque();
        let (p2, _) = ApiKeys::generate_opaque();
        assert!(p1.starts_with(PUBLISHABLE_PREFIX) && s1.starts_with(SECRET_PREFIX));
        assert_ne!(p1, p2);
        assert_eq!(random_token(24).len(), 24);
    }
}
