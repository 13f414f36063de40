//! Clients for the Supabase services the app uses, with no chat knowledge.
//!
//! - [`rpc`]: database functions over PostgREST (`/rest/v1/rpc/<fn>`);
//! - [`realtime`]: the Realtime websocket (Phoenix channels, broadcast,
//!   presence), as a pure state machine plus a thin browser driver;
//! - [`storage`]: uploads with progress, signed URLs, downloads;
//! - [`auth`]: the access token's lifecycle, shared by all three;
//! - [`jwt`]: reading the claims of a token;
//! - [`time`]: the clock the state machines are given.

pub mod auth;
pub mod jwt;
pub mod realtime;
pub mod rpc;
pub mod storage;
pub mod time;
