//! The chat domain: the SQL API's types and calls, its realtime events, and
//! the stores the views render.
//!
//! - [`types`]: JSON shapes of `docs/api.md`;
//! - [`api`]: typed calls ([`Api`] signed out, [`ChatApi`] signed in);
//! - [`events`]: topics and broadcast events;
//! - [`timeline`]: one session's messages (pure);

pub mod api;
pub mod events;
pub mod timeline;
pub mod types;

pub use api::{Api, ChatApi, MessageRange, NewMessage};
