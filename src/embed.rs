//! Starting the app: standalone on its own page, or embedded in a host page.
//!
//! A host page embeds the chat by giving it an element to live in, sized as
//! the host likes, and loading the built app's script and stylesheet (the
//! `<link>` and `<script>` tags of the built `index.html`):
//!
//! ```html
//! <div data-workflow-chat
//!      data-supabase-url="https://abc.supabase.co"
//!      data-supabase-anon-key="eyJhbGciOi..."
//!      data-token="<optional: a token the host's server issued with wc_issue_token>"
//!      style="height: 600px"></div>
//! ```
//!
//! Without such an element the app takes the whole page and reads the
//! `<meta>` tags instead (see [`crate::config`]). Attribute values are read
//! by a pure function, so the rules are tested natively:
//!
//! ```
//! use workflow_chat::embed::options_from_attributes;
//!
//! let options = options_from_attributes(|name| match name {
//!     "data-supabase-url" => Some("https://abc.supabase.co".into()),
//!     "data-supabase-anon-key" => Some("key".into()),
//!     _ => None,
//! });
//! assert_eq!(options.url.as_deref(), Some("https://abc.supabase.co"));
//! assert_eq!(options.token, None);
//! ```

use crate::config::MountOptions;

/// The attribute that marks a host page's element for the chat.
pub const HOST_ATTRIBUTE: &str = "data-workflow-chat";
/// The host element's attribute holding the project URL.
pub const URL_ATTRIBUTE: &str = "data-supabase-url";
/// The host element's attribute holding the anon (publishable) key.
pub const ANON_KEY_ATTRIBUTE: &str = "data-supabase-anon-key";
/// The host element's attribute holding a token for the signed-in user.
pub const TOKEN_ATTRIBUTE: &str = "data-token";

/// The mount options a host element carries, read through `attribute`.
pub fn options_from_attributes(attribute: impl Fn(&str) -> Option<String>) -> MountOptions {
    let mut options = MountOptions::new();
    if let Some(url) = attribute(URL_ATTRIBUTE) {
        options = options.url(url);
    }
    if let Some(key) = attribute(ANON_KEY_ATTRIBUTE) {
        options = options.anon_key(key);
    }
    if let Some(token) = attribute(TOKEN_ATTRIBUTE) {
        options = options.token(token);
    }
    options
}

/// Mounts the app: into the page's `[data-workflow-chat]` element when there
/// is one, with the options it carries, else into `<body>`.
pub fn start() {
    use crate::app::{App, AppFor};
    use crate::config::SupabaseConfig;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    console_error_panic_hook::set_once();
    let host = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("[{HOST_ATTRIBUTE}]"))
                .ok()
                .flatten()
        })
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match host {
        Some(host) => {
            let options = options_from_attributes(|name| host.get_attribute(name));
            let _ = host.class_list().add_1("wc-embedded");
            let config = SupabaseConfig::from_options(&options);
            leptos::mount::mount_to(host, move || view! { <AppFor config/> }).forget();
        }
        None => leptos::mount::mount_to_body(App),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> MountOptions {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        options_from_attributes(|name| map.get(name).cloned())
    }

    #[test]
    fn every_attribute_lands_in_its_option() {
        let options = read(&[
            (URL_ATTRIBUTE, "https://abc.supabase.co"),
            (ANON_KEY_ATTRIBUTE, "anon"),
            (TOKEN_ATTRIBUTE, "user-token"),
        ]);
        assert_eq!(options.url.as_deref(), Some("https://abc.supabase.co"));
        assert_eq!(options.anon_key.as_deref(), Some("anon"));
        assert_eq!(options.token.as_deref(), Some("user-token"));
    }

    #[test]
    fn missing_attributes_stay_missing_for_the_config_to_report() {
        let options = read(&[(ANON_KEY_ATTRIBUTE, "anon")]);
        assert_eq!(options.url, None);
        assert_eq!(options.token, None);
        assert_eq!(
            crate::config::SupabaseConfig::from_options(&options),
            Err(crate::config::ConfigError::Missing(
                crate::config::ConfigField::Url
            ))
        );
    }
}
