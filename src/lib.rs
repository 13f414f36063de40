//! workflow-chat: the browser app.
//!
//! The crate builds twice: to wasm by trunk for the browser, and natively so
//! that everything that is not DOM I/O is tested with plain `cargo test`.

pub mod app;
pub mod chat;
pub mod config;
pub mod i18n;
pub mod routes;
pub mod supabase;
pub mod views;

pub use app::App;

/// Mounts the app into `<body>`; the entry point of the standalone page.
pub fn mount_to_body() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
