//! Supabase Realtime over the Phoenix channels protocol.
//!
//! The layers, from the wire up:
//! - [`frame`]: the five-field Phoenix message and its encodings;
//! - [`message`]: what frames mean (joins, replies, broadcasts, presence);
//! - [`presence`]: a channel's presence list from state and diffs;
//! - [`socket`]: the connection and its channels as a pure state machine;
//! - [`driver`]: the browser WebSocket, timers and page events feeding it,
//!   with the connection state as a Leptos signal.
//!
//! Only the driver touches the browser; everything else is tested natively.

pub mod driver;
pub mod frame;
pub mod message;
pub mod presence;
pub mod socket;

pub use driver::{Realtime, RealtimeEvent};
pub use frame::{Frame, FrameError, Vsn};
pub use message::{ChannelConfig, Inbound, ReplyStatus, SystemMessage};
pub use presence::{Presence, PresenceChange, PresenceMeta};
pub use socket::{
    backoff_delay, ChannelId, ChannelState, Command, ConnId, ConnectionState, Event, PushId,
    PushResult, Socket, SocketOptions,
};
