//! Runtime configuration: which Supabase project the app talks to.
//!
//! A standalone page carries the project in two `<meta>` tags, which devstack
//! injects when it serves the app and a deployer writes into `index.html`:
//!
//! ```html
//! <meta name="supabase-url" content="https://abc.supabase.co">
//! <meta name="supabase-anon-key" content="eyJhbGciOi...">
//! ```
//!
//! A host page that mounts the chat into its own element passes the same
//! values, and optionally a token it obtained for its user, as
//! [`MountOptions`]. Both paths end in [`SupabaseConfig::parse`], a pure
//! function, so every rule is tested natively:
//!
//! ```
//! use workflow_chat::config::{ConfigError, ConfigField, MountOptions, SupabaseConfig};
//!
//! let key = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2ln";
//! let config = SupabaseConfig::from_options(
//!     &MountOptions::new().url("http://127.0.0.1:54321/").anon_key(key),
//! )
//! .unwrap();
//! assert_eq!(config.url(), "http://127.0.0.1:54321");
//! assert_eq!(config.rest_rpc_url("wc_ping"), "http://127.0.0.1:54321/rest/v1/rpc/wc_ping");
//!
//! let missing = SupabaseConfig::from_options(&MountOptions::new().anon_key(key));
//! assert_eq!(missing, Err(ConfigError::Missing(ConfigField::Url)));
//! ```

use std::fmt;

use crate::supabase::jwt::{Claims, JwtError};

/// Name of the `<meta>` tag holding the project URL.
pub const META_URL: &str = "supabase-url";
/// Name of the `<meta>` tag holding the project's anon (publishable) key.
pub const META_ANON_KEY: &str = "supabase-anon-key";

/// Realtime protocol version the socket speaks.
pub const REALTIME_VSN: &str = "1.0.0";

/// A validated project configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct SupabaseConfig {
    url: String,
    anon_key: String,
    token: Option<String>,
}

/// Values a host page hands over when it mounts the app into its own element.
///
/// Every field is optional here; [`SupabaseConfig::from_options`] says which
/// are required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// Project URL, e.g. `https://abc.supabase.co`.
    pub url: Option<String>,
    /// The project's anon key (a JWT) or publishable key (`sb_publishable_…`).
    pub anon_key: Option<String>,
    /// A user token the host page already holds, used instead of signing in.
    pub token: Option<String>,
}

impl MountOptions {
    /// Empty options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the project URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the anon key.
    pub fn anon_key(mut self, key: impl Into<String>) -> Self {
        self.anon_key = Some(key.into());
        self
    }

    /// Sets a user token obtained by the host page.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

/// A configuration value the app reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigField {
    /// The project URL.
    Url,
    /// The anon key.
    AnonKey,
    /// The user token given by a host page.
    Token,
}

impl ConfigField {
    /// Where a deployer sets this value, for error messages.
    pub fn source(self) -> &'static str {
        match self {
            ConfigField::Url => "<meta name=\"supabase-url\"> or the `url` mount option",
            ConfigField::AnonKey => {
                "<meta name=\"supabase-anon-key\"> or the `anon_key` mount option"
            }
            ConfigField::Token => "the `token` mount option",
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A required value is absent or blank.
    Missing(ConfigField),
    /// The project URL is not an absolute http(s) URL without query or fragment.
    MalformedUrl {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The key or token is not shaped like a JWT (nor like a publishable key).
    MalformedKey {
        /// Which value.
        field: ConfigField,
        /// What is wrong with it.
        reason: JwtError,
    },
    /// A secret (`sb_secret_…`) or service-role key was given to the browser.
    SecretKey,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(field) => write!(f, "missing: set {}", field.source()),
            ConfigError::MalformedUrl { value, reason } => {
                write!(f, "the Supabase URL {value:?} is malformed: {reason}")
            }
            ConfigError::MalformedKey { field, reason } => {
                write!(f, "{} is not a valid key: {reason}", field.source())
            }
            ConfigError::SecretKey => f.write_str(
                "a secret or service-role key must never be given to a browser; use the anon key",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl fmt::Debug for SupabaseConfig {
    // Keys and tokens stay out of logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupabaseConfig")
            .field("url", &self.url)
            .field("anon_key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl SupabaseConfig {
    /// Validates raw values. Blank strings count as missing.
    pub fn parse(
        url: Option<&str>,
        anon_key: Option<&str>,
        token: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let url = non_blank(url).ok_or(ConfigError::Missing(ConfigField::Url))?;
        let anon_key = non_blank(anon_key).ok_or(ConfigError::Missing(ConfigField::AnonKey))?;
        let url = normalize_url(url)?;
        validate_project_key(anon_key)?;
        let token = match non_blank(token) {
            Some(token) => {
                Claims::decode(token).map_err(|reason| ConfigError::MalformedKey {
                    field: ConfigField::Token,
                    reason,
                })?;
                Some(token.to_owned())
            }
            None => None,
        };
        Ok(Self {
            url,
            anon_key: anon_key.to_owned(),
            token,
        })
    }

    /// Validates the options a host page passed.
    pub fn from_options(options: &MountOptions) -> Result<Self, ConfigError> {
        Self::parse(
            options.url.as_deref(),
            options.anon_key.as_deref(),
            options.token.as_deref(),
        )
    }

    /// Reads the `<meta>` tags of the current page.
    pub fn from_document() -> Result<Self, ConfigError> {
        Self::parse(
            meta_content(META_URL).as_deref(),
            meta_content(META_ANON_KEY).as_deref(),
            None,
        )
    }

    /// The project URL without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The anon key, sent as `apikey` on every request.
    pub fn anon_key(&self) -> &str {
        &self.anon_key
    }

    /// The user token a host page supplied, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// `POST` endpoint of a database function.
    pub fn rest_rpc_url(&self, function: &str) -> String {
        format!("{}/rest/v1/rpc/{function}", self.url)
    }

    /// Base of the Storage API (`…/storage/v1`).
    pub fn storage_url(&self) -> String {
        format!("{}/storage/v1", self.url)
    }

    /// The Realtime websocket URL with the key and protocol version.
    pub fn realtime_url(&self) -> String {
        let ws = if let Some(rest) = self.url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.url.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            // `normalize_url` admits only the two schemes above.
            unreachable!("validated URL has an http(s) scheme")
        };
        format!(
            "{ws}/realtime/v1/websocket?apikey={}&vsn={REALTIME_VSN}",
            encode_query_value(&self.anon_key)
        )
    }
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Checks that `value` is an absolute http(s) URL with a host and without
/// query or fragment, and drops trailing slashes so paths can be appended.
pub fn normalize_url(value: &str) -> Result<String, ConfigError> {
    let malformed = |reason| ConfigError::MalformedUrl {
        value: value.to_owned(),
        reason,
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| malformed("it must start with http:// or https://"))?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(malformed("it contains whitespace"));
    }
    if rest.contains(['?', '#']) {
        return Err(malformed("it must not have a query or fragment"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(malformed("it must not contain credentials"));
    }
    let (host_name, port) = match host.strip_prefix('[') {
        Some(v6) => {
            let (name, after) = v6
                .split_once(']')
                .ok_or_else(|| malformed("its IPv6 host lacks a closing bracket"))?;
            if !after.is_empty() && !after.starts_with(':') {
                return Err(malformed("unexpected text after the IPv6 host"));
            }
            (name, after.strip_prefix(':'))
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    if host_name.is_empty() {
        return Err(malformed("it has no host"));
    }
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(malformed("its port is not a number from 0 to 65535"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// Accepts a legacy anon key (a JWT whose role is not `service_role`) or a
/// new-format publishable key; refuses secret keys outright.
pub fn validate_project_key(key: &str) -> Result<(), ConfigError> {
    if key.starts_with("sb_secret_") {
        return Err(ConfigError::SecretKey);
    }
    if let Some(rest) = key.strip_prefix("sb_publishable_") {
        return if !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            Ok(())
        } else {
            Err(ConfigError::MalformedKey {
                field: ConfigField::AnonKey,
                reason: JwtError::Shape,
            })
        };
    }
    let claims = Claims::decode(key).map_err(|reason| ConfigError::MalformedKey {
        field: ConfigField::AnonKey,
        reason,
    })?;
    if claims.role.as_deref() == Some("service_role") {
        return Err(ConfigError::SecretKey);
    }
    Ok(())
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn meta_content(name: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let element = document
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??;
    element.get_attribute("content")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::jwt::tests::token_with;

    fn anon() -> String {
        token_with(r#"{"role":"anon","exp":4000000000}"#)
    }

    #[test]
    fn parses_and_normalizes() {
        let c =
            SupabaseConfig::parse(Some(" https://x.supabase.co/ "), Some(&anon()), None).unwrap();
        assert_eq!(c.url(), "https://x.supabase.co");
        assert_eq!(c.token(), None);
        assert_eq!(c.storage_url(), "https://x.supabase.co/storage/v1");
        assert_eq!(
            c.realtime_url(),
            format!(
                "wss://x.supabase.co/realtime/v1/websocket?apikey={}&vsn=1.0.0",
                anon()
            )
        );
        let local =
            SupabaseConfig::parse(Some("http://127.0.0.1:54321"), Some(&anon()), None).unwrap();
        assert!(local
            .realtime_url()
            .starts_with("ws://127.0.0.1:54321/realtime/v1/websocket?"));
    }

    #[test]
    fn keeps_a_path_prefix() {
        let c = SupabaseConfig::parse(Some("https://example.org/supabase//"), Some(&anon()), None)
            .unwrap();
        assert_eq!(
            c.rest_rpc_url("f"),
            "https://example.org/supabase/rest/v1/rpc/f"
        );
    }

    #[test]
    fn missing_values() {
        assert_eq!(
            SupabaseConfig::parse(None, Some(&anon()), None),
            Err(ConfigError::Missing(ConfigField::Url))
        );
        assert_eq!(
            SupabaseConfig::parse(Some("http://a"), Some("   "), None),
            Err(ConfigError::Missing(ConfigField::AnonKey))
        );
    }

    #[test]
    fn malformed_urls() {
        for bad in [
            "ftp://a",
            "a.supabase.co",
            "http://",
            "http:///path",
            "http://a b",
            "http://a?x=1",
            "http://a#f",
            "http://user:pw@a",
            "http://a:99999",
            "http://a:port",
        ] {
            match SupabaseConfig::parse(Some(bad), Some(&anon()), None) {
                Err(ConfigError::MalformedUrl { value, .. }) => assert_eq!(value, bad.trim()),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(normalize_url("http://[::1]:54321").is_ok());
        assert!(normalize_url("http://localhost:8080/").is_ok());
    }

    #[test]
    fn malformed_keys() {
        let err = SupabaseConfig::parse(Some("http://a"), Some("not-a-jwt"), None).unwrap_err();
        assert_eq!(
            err,
            ConfigError::MalformedKey {
                field: ConfigField::AnonKey,
                reason: JwtError::Shape
            }
        );
        let err = SupabaseConfig::parse(Some("http://a"), Some(&anon()), Some("x.y")).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::MalformedKey {
                field: ConfigField::Token,
                ..
            }
        ));
        assert!(err.to_string().contains("token"));
    }

    #[test]
    fn publishable_and_secret_keys() {
        assert!(
            SupabaseConfig::parse(Some("http://a"), Some("sb_publishable_abc_12"), None).is_ok()
        );
        assert!(matches!(
            SupabaseConfig::parse(Some("http://a"), Some("sb_publishable_"), None),
            Err(ConfigError::MalformedKey { .. })
        ));
        assert_eq!(
            SupabaseConfig::parse(Some("http://a"), Some("sb_secret_abc"), None),
            Err(ConfigError::SecretKey)
        );
        let service = token_with(r#"{"role":"service_role"}"#);
        assert_eq!(
            SupabaseConfig::parse(Some("http://a"), Some(&service), None),
            Err(ConfigError::SecretKey)
        );
    }

    #[test]
    fn token_from_options_and_redacted_debug() {
        let token = token_with(r#"{"sub":"u","role":"authenticated","exp":1}"#);
        let c = SupabaseConfig::from_options(
            &MountOptions::new()
                .url("http://a")
                .anon_key(anon())
                .token(token.clone()),
        )
        .unwrap();
        assert_eq!(c.token(), Some(token.as_str()));
        let debug = format!("{c:?}");
        assert!(!debug.contains(&token) && !debug.contains(&anon()));
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode_query_value("a.b_c-d~"), "a.b_c-d~");
        assert_eq!(encode_query_value("a b&c=/"), "a%20b%26c%3D%2F");
    }
}
