//! workflow-chat: the browser app.
//!
//! The crate builds twice: to wasm by trunk for the browser, and natively so
//! that everything that is not DOM I/O is tested with plain `cargo test`.

pub mod app;
pub mod chat;
pub mod config;
pub mod embed;
pub mod i18n;
pub mod routes;
pub mod supabase;
pub mod views;

pub use app::App;

/// Mounts the app into `<body>`, or into a host page's element; the entry
/// point of the built app (see [`embed`]).
pub fn start() {
    embed::start();
}
