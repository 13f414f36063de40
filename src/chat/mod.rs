//! The chat domain: the SQL API's types and calls, its realtime events, and
//! the stores the views render.
//!
//! - [`types`]: JSON shapes of `docs/api.md`;
//! - [`api`]: typed calls ([`Api`] signed out, [`ChatApi`] signed in);
//! - [`events`]: topics and broadcast events;
//! - [`timeline`]: one session's messages (pure);
//! - [`sessions`]: a workflow's session list with unread counts (pure);
//! - [`presence`]: who is online and who is typing (pure);
//! - [`attachments`]: object keys, bucket rules and uploads of attachments.

pub mod api;
pub mod attachments;
pub mod events;
pub mod presence;
pub mod sessions;
pub mod timeline;
pub mod types;

pub use api::{Api, ChatApi, MessageRange, NewMessage};
