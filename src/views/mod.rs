//! The Leptos views: account forms, navigation, the chat.
//!
//! [`model`] holds their pure logic (tested natively); the other modules are
//! components and the glue between them and the client layer.

pub mod account;
pub mod avatar;
pub mod chat;
pub mod clock;
pub mod ctx;
pub mod local;
pub mod members;
pub mod model;
pub mod nav;
pub mod router;
pub mod sessions;
pub mod shell;
