//! The devstack under test, shared by the browser test files.
//!
//! A wasm test has no environment at run time, so the stack's URL and key
//! are captured from the environment `devstack exec` sets when the test is
//! compiled.

#![allow(dead_code)] // each test file uses its own part

use uuid::Uuid;
use workflow_chat::chat::api::{Api, ChatApi};
use workflow_chat::config::{MountOptions, SupabaseConfig};

/// The project configuration of the stack under test.
pub fn config() -> SupabaseConfig {
    let url = required("SUPABASE_URL", option_env!("SUPABASE_URL"));
    let key = required("SUPABASE_ANON_KEY", option_env!("SUPABASE_ANON_KEY"));
    SupabaseConfig::from_options(&MountOptions::new().url(url).anon_key(key)).unwrap()
}

fn required(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} must be set at build time: run under `devstack exec`"))
}

/// Registers a fresh account named `name`; returns its client and e-mail.
pub async fn new_user(api: &Api, name: &str) -> (ChatApi, String) {
    let email = format!("{name}-{}@example.com", Uuid::new_v4().simple());
    let chat = api
        .register(&email, "correct horse battery", name)
        .await
        .unwrap_or_else(|e| panic!("register {email}: {e}"));
    (chat, email)
}
