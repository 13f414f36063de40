//! What the app keeps in the browser's `localStorage`: the signed-in token
//! (so a reload stays signed in), the theme, and a draft per session.
//!
//! Storage can be missing or full (private windows, quotas); every function
//! here then quietly does nothing, and the app works without persistence.

use uuid::Uuid;

const PREFIX: &str = "workflow-chat.";

/// Key of the stored sign-in (token and account).
pub const AUTH_KEY: &str = "workflow-chat.auth";
/// Key of the chosen theme.
pub const THEME_KEY: &str = "workflow-chat.theme";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Reads a value.
pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Writes a value.
pub fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Removes a value.
pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// Key of an account's draft in a session.
pub fn draft_key(account: Uuid, session: Uuid) -> String {
    format!("{PREFIX}draft.{account}.{session}")
}

/// The draft of a session, or an empty string.
pub fn load_draft(account: Uuid, session: Uuid) -> String {
    get(&draft_key(account, session)).unwrap_or_default()
}

/// Saves a draft; a blank one is removed.
pub fn save_draft(account: Uuid, session: Uuid, text: &str) {
    let key = draft_key(account, session);
    if text.trim().is_empty() {
        remove(&key);
    } else {
        set(&key, text);
    }
}

/// Forgets every draft of an account (on an explicit sign-out).
pub fn clear_drafts(account: Uuid) {
    let Some(s) = storage() else { return };
    let prefix = format!("{PREFIX}draft.{account}.");
    let len = s.length().unwrap_or(0);
    let keys: Vec<String> = (0..len)
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|k| k.starts_with(&prefix))
        .collect();
    for k in keys {
        let _ = s.remove_item(&k);
    }
}
