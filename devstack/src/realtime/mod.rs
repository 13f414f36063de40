//! Supabase Realtime for devstack: the Phoenix websocket at
//! `/realtime/v1/websocket` (serializers 1.0.0 and 2.0.0), private channels
//! authorized by RLS on `realtime.messages`, broadcast from clients, from
//! the database and over REST, and presence.
//!
//! Protocol frames, tokens, join options and presence are pure modules;
//! the socket, the fan-out hub and the database sit at the edges.

pub mod frame;
pub mod join;
pub mod presence;
pub mod token;
