//! The stack's generated keys, kept in its data folder so that tokens and
//! API keys handed out survive a restart: the ES256 signing key and the
//! opaque publishable and secret API keys. A hosted project generates the
//! same kinds of key once, at creation.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::gateway::{ApiKeys, PUBLISHABLE_PREFIX, SECRET_PREFIX};
use crate::jwt::SigningKey;

/// File name of the key store inside a data folder.
pub const FILE_NAME: &str = "keys.json";

/// The generated keys of one stack.
#[derive(Debug, Clone)]
pub struct StoredKeys {
    /// Signs user tokens (ES256).
    pub signing: SigningKey,
    /// `sb_publishable_…`.
    pub publishable: String,
    /// `sb_secret_…`.
    pub secret: String,
}

impl StoredKeys {
    /// Fresh keys.
    pub fn generate() -> StoredKeys {
        let (publishable, secret) = ApiKeys::generate_opaque();
        StoredKeys {
            signing: SigningKey::generate(),
            publishable,
            secret,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "signing_keys": [self.signing.private_jwk()],
            "publishable_key": self.publishable,
            "secret_key": self.secret,
        })
    }

    fn from_json(doc: &Value) -> std::result::Result<StoredKeys, String> {
        let jwk = doc
            .get("signing_keys")
            .and_then(|k| k.get(0))
            .ok_or("no signing key")?;
        let signing = SigningKey::from_private_jwk(jwk).map_err(|e| e.to_string())?;
        let text = |name: &str, prefix: &str| -> std::result::Result<String, String> {
            doc.get(name)
                .and_then(Value::as_str)
                .filter(|k| k.starts_with(prefix))
                .map(str::to_string)
                .ok_or_else(|| format!("no {name}"))
        };
        Ok(StoredKeys {
            signing,
            publishable: text("publishable_key", PUBLISHABLE_PREFIX)?,
            secret: text("secret_key", SECRET_PREFIX)?,
        })
    }
}

/// Reads the keys of `data_dir`, creating them (readable by the owner
/// only, since they include the private signing key) on first use.
pub fn load_or_create(data_dir: &Path) -> Result<StoredKeys> {
    let path = data_dir.join(FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| Error::Config(format!("{} is not JSON: {e}", path.display())))?;
            StoredKeys::from_json(&doc).map_err(|e| {
                Error::Config(format!(
                    "{} is not a devstack key store ({e}); remove it to generate new keys",
                    path.display()
                ))
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keys = StoredKeys::generate();
            let text = serde_json::to_string_pretty(&keys.to_json()).expect("keys serialize");
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.write_all(b"\n"))
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            Ok(keys)
        }
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        let again = load_or_create(dir.path()).unwrap();
        assert_eq!(first.publishable, again.publishable);
        assert_eq!(first.secret, again.secret);
        assert_eq!(first.signing.kid(), again.signing.kid());
        let mode = fs::metadata(dir.path().join(FILE_NAME))
            .unwrap()
            .permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }

    #[test]
    fn a_damaged_store_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "{\"signing_keys\": []}").unwrap();
        let err = load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a devstack key store"), "{err}");
    }
}
