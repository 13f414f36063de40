//! The Realtime connection as a pure state machine.
//!
//! [`Socket`] does no I/O and reads no clock. The driver (the browser's
//! WebSocket in [`super::driver`], a script of frames in tests) feeds it what
//! happened — the socket opened or closed, a message arrived, time passed,
//! the tab became visible — each with the current time, and carries out the
//! [`Command`]s it emits: open a connection, send a text, close. What the
//! application should hear about comes out as [`Event`]s. The driver asks
//! [`Socket::next_deadline`] when to call [`Socket::tick`] next.
//!
//! Behaviour, all of it tested natively with a fake clock:
//! - heartbeat every 25 s; a heartbeat still unanswered when the next is due
//!   closes the connection;
//! - reconnect after 1, 2, 5, 10 s, then every 10 s, each plus up to 20 %
//!   random jitter so that many clients do not come back in step;
//! - every channel rejoins after a reconnect, with the current token;
//!   a channel whose join fails or times out, or that the server closes,
//!   retries after 1, 2, 5, 10 s...;
//! - pushes made while a channel is not joined wait in a buffer (the oldest
//!   of more than 100 is dropped) and go out after the join;
//! - presence tracked on a channel is tracked again after every rejoin;
//! - [`Socket::wake`] (tab visible, network back) reconnects at once or
//!   probes an open connection with a heartbeat.
//!
//! ```
//! use serde_json::json;
//! use workflow_chat::supabase::realtime::{ChannelConfig, Command, Event, Socket, SocketOptions};
//! use workflow_chat::supabase::time::Millis;
//!
//! let mut socket = Socket::new(SocketOptions::new("ws://127.0.0.1:54321/realtime/v1/websocket?vsn=1.0.0"));
//! let chat = socket.channel(ChannelConfig::private("chat:42"));
//! socket.join(chat, Millis(0)); // connects too
//! let Some(Command::Open { conn, .. }) = socket.poll_command() else { panic!() };
//! socket.opened(conn, Millis(10));
//! let Some(Command::SendText { text, .. }) = socket.poll_command() else { panic!() };
//! assert!(text.contains("phx_join"));
//! socket.received_text(conn, r#"{"topic":"realtime:chat:42","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}"#, Millis(20));
//! assert!(std::iter::from_fn(|| socket.poll_event()).any(|e| matches!(e, Event::Joined { rejoin: false, .. })));
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde_json::{json, Value};

use super::frame::{Frame, Vsn};
use super::message::{
    access_token_payload, broadcast_payload, events, reply_reason, track_payload, untrack_payload,
    ChannelConfig, Inbound, ReplyStatus, SystemMessage, PHOENIX_TOPIC,
};
use super::presence::{Presence, PresenceChange};
use crate::supabase::time::Millis;

/// Tunable timings and limits.
#[derive(Clone, Debug, PartialEq)]
pub struct SocketOptions {
    /// Websocket URL including `apikey` and `vsn`.
    pub url: String,
    /// Protocol version the URL asks for.
    pub vsn: Vsn,
    /// Time between heartbeats; also how long a heartbeat may stay unanswered.
    pub heartbeat_interval: Duration,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
    /// How long a join or an acknowledged push may wait for its reply.
    pub push_timeout: Duration,
    /// Reconnect and rejoin delays; the last one repeats.
    pub backoff: Vec<Duration>,
    /// Largest random addition to a delay, as a fraction of it.
    pub jitter: f64,
    /// Most pushes a channel holds while not joined.
    pub buffer_limit: usize,
    /// Seed of the jitter's random numbers.
    pub seed: u64,
}

impl SocketOptions {
    /// Defaults matching Supabase's own client, for `url` speaking 1.0.0.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            vsn: Vsn::V1,
            heartbeat_interval: Duration::from_secs(25),
            connect_timeout: Duration::from_secs(10),
            push_timeout: Duration::from_secs(10),
            backoff: [1, 2, 5, 10].into_iter().map(Duration::from_secs).collect(),
            jitter: 0.2,
            buffer_limit: 100,
            seed: 0x2545_F491_4F6C_DD1D,
        }
    }
}

/// Delay before attempt number `attempt` (from 1): the `attempt`-th entry of
/// `backoff` (the last one repeating) plus `jitter × unit` of it, where
/// `unit` is a random number in `[0, 1)`.
pub fn backoff_delay(backoff: &[Duration], attempt: u32, jitter: f64, unit: f64) -> Duration {
    let Some(last) = backoff.last() else {
        return Duration::ZERO;
    };
    let index = (attempt.max(1) - 1) as usize;
    let base = *backoff.get(index).unwrap_or(last);
    base + base.mul_f64((jitter * unit).clamp(0.0, 1.0))
}

/// Identifies one connection attempt, so that news about an old one is
/// ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Identifies a channel of this socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(u32);

/// Identifies a push, to match its [`PushResult`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PushId(u64);

/// State of the connection, for the views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// Not connected and not trying (never started, or disconnected on purpose).
    Closed,
    /// Opening a connection.
    Connecting {
        /// Failed attempts since the last open connection.
        attempt: u32,
    },
    /// Connected.
    Open,
    /// Lost; the next attempt is scheduled.
    Waiting {
        /// Number of the next attempt.
        attempt: u32,
        /// When it starts.
        retry_at: Millis,
    },
}

/// State of one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// Not joined and not wanted.
    Closed,
    /// Join sent or waiting for the connection.
    Joining,
    /// Joined: broadcasts and presence flow.
    Joined,
    /// The join failed, timed out or the server closed the channel.
    Errored {
        /// Why.
        reason: String,
        /// When the next join is sent (if the connection is open).
        retry_at: Millis,
    },
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open a new connection (closing any other first).
    Open {
        /// Its id, to pass back with its news.
        conn: ConnId,
        /// Where to.
        url: String,
    },
    /// Send a text message.
    SendText {
        /// On which connection.
        conn: ConnId,
        /// The encoded frame.
        text: String,
    },
    /// Close a connection.
    Close {
        /// Which one.
        conn: ConnId,
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// How a push ended.
#[derive(Clone, Debug, PartialEq)]
pub enum PushResult {
    /// Sent; no reply was asked for.
    Sent,
    /// The server replied ok with this response.
    Ok(Value),
    /// The server replied with an error.
    Error(String),
    /// No reply in time.
    Timeout,
    /// Never sent: the buffer overflowed or the channel was left.
    Dropped,
}

/// What the application hears about.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The connection state changed.
    Connection(ConnectionState),
    /// A channel's state changed.
    Channel {
        /// Which.
        channel: ChannelId,
        /// New state.
        state: ChannelState,
    },
    /// A channel (re)joined. After a rejoin, messages may have been missed
    /// while disconnected: fetch them.
    Joined {
        /// Which.
        channel: ChannelId,
        /// Whether the channel had been joined before.
        rejoin: bool,
    },
    /// A broadcast arrived.
    Broadcast {
        /// On which channel.
        channel: ChannelId,
        /// User event name.
        event: String,
        /// User payload.
        payload: Value,
        /// Server meta (id, replayed), if any.
        meta: Option<Value>,
    },
    /// Presence changed; read the list with [`Socket::presence`].
    Presence {
        /// On which channel.
        channel: ChannelId,
        /// Who joined and left.
        change: PresenceChange,
    },
    /// A `system` message.
    System {
        /// On which channel.
        channel: ChannelId,
        /// The message.
        message: SystemMessage,
    },
    /// A push ended.
    Push {
        /// On which channel.
        channel: ChannelId,
        /// Which push.
        push: PushId,
        /// How.
        result: PushResult,
    },
}

#[derive(Debug)]
struct Pending {
    id: PushId,
    event: &'static str,
    payload: Value,
    reply: bool,
}

#[derive(Debug)]
struct Awaiting {
    id: PushId,
    deadline: Millis,
}

#[derive(Debug)]
struct Channel {
    config: ChannelConfig,
    topic: String,
    state: ChannelState,
    wanted: bool,
    join_ref: Option<String>,
    join_deadline: Option<Millis>,
    rejoin_attempt: u32,
    joined_before: bool,
    buffer: VecDeque<Pending>,
    awaiting: BTreeMap<String, Awaiting>,
    tracked: Option<Value>,
    track_push: Option<PushId>,
    presence: Presence,
    close_reason: Option<String>,
}

/// The Realtime connection and its channels; see the module documentation.
#[derive(Debug)]
pub struct Socket {
    options: SocketOptions,
    state: ConnectionState,
    wanted: bool,
    conn: Option<ConnId>,
    next_conn: u64,
    next_ref: u64,
    next_push: u64,
    next_channel: u32,
    attempt: u32,
    connect_deadline: Option<Millis>,
    heartbeat_due: Option<Millis>,
    heartbeat_pending: Option<String>,
    token: Option<String>,
    channels: BTreeMap<ChannelId, Channel>,
    commands: VecDeque<Command>,
    events: VecDeque<Event>,
    rng: u64,
}

impl Socket {
    /// A closed socket.
    pub fn new(options: SocketOptions) -> Self {
        let rng = options.seed.max(1);
        Self {
            options,
            state: ConnectionState::Closed,
            wanted: false,
            conn: None,
            next_conn: 0,
            next_ref: 0,
            next_push: 0,
            next_channel: 0,
            attempt: 0,
            connect_deadline: None,
            heartbeat_due: None,
            heartbeat_pending: None,
            token: None,
            channels: BTreeMap::new(),
            commands: VecDeque::new(),
            events: VecDeque::new(),
            rng,
        }
    }

    // ----- queries --------------------------------------------------------

    /// The connection state.
    pub fn state(&self) -> &ConnectionState {
        &self.state
    }

    /// A channel's state (`None` once left).
    pub fn channel_state(&self, channel: ChannelId) -> Option<&ChannelState> {
        self.channels.get(&channel).map(|c| &c.state)
    }

    /// A channel's presence list.
    pub fn presence(&self, channel: ChannelId) -> Option<&Presence> {
        self.channels.get(&channel).map(|c| &c.presence)
    }

    /// Every channel, joined or not.
    pub fn channel_ids(&self) -> Vec<ChannelId> {
        self.channels.keys().copied().collect()
    }

    /// Pushes waiting in a channel's buffer.
    pub fn buffered(&self, channel: ChannelId) -> usize {
        self.channels.get(&channel).map_or(0, |c| c.buffer.len())
    }

    /// The token sent with joins.
    pub fn access_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The next command for the driver.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Socket::tick`] must be called next.
    pub fn next_deadline(&self) -> Option<Millis> {
        let mut deadlines = Vec::new();
        match &self.state {
            ConnectionState::Connecting { .. } => deadlines.extend(self.connect_deadline),
            ConnectionState::Waiting { retry_at, .. } => deadlines.push(*retry_at),
            ConnectionState::Open => {
                deadlines.extend(self.heartbeat_due);
                for channel in self.channels.values() {
                    deadlines.extend(channel.join_deadline);
                    if let ChannelState::Errored { retry_at, .. } = channel.state {
                        deadlines.push(retry_at);
                    }
                }
            }
            ConnectionState::Closed => {}
        }
        for channel in self.channels.values() {
            deadlines.extend(channel.awaiting.values().map(|a| a.deadline));
        }
        deadlines.into_iter().min()
    }

    // ----- what the application does ---------------------------------------

    /// Starts connecting (and keeps reconnecting) until [`Socket::disconnect`].
    pub fn connect(&mut self, now: Millis) {
        self.wanted = true;
        if matches!(
            self.state,
            ConnectionState::Closed | ConnectionState::Waiting { .. }
        ) {
            self.open_now(now);
        }
    }

    /// Closes the connection and stops reconnecting. Channels stay wanted
    /// and rejoin on the next [`Socket::connect`].
    pub fn disconnect(&mut self, now: Millis) {
        self.wanted = false;
        self.lose_connection(now, Some((1000, "client disconnect")));
    }

    /// Adds a channel (not joined yet). A topic already added returns the
    /// same channel.
    pub fn channel(&mut self, config: ChannelConfig) -> ChannelId {
        let topic = config.full_topic();
        if let Some((&id, _)) = self.channels.iter().find(|(_, c)| c.topic == topic) {
            return id;
        }
        let id = ChannelId(self.next_channel);
        self.next_channel += 1;
        self.channels.insert(
            id,
            Channel {
                config,
                topic,
                state: ChannelState::Closed,
                wanted: false,
                join_ref: None,
                join_deadline: None,
                rejoin_attempt: 0,
                joined_before: false,
                buffer: VecDeque::new(),
                awaiting: BTreeMap::new(),
                tracked: None,
                track_push: None,
                presence: Presence::default(),
                close_reason: None,
            },
        );
        id
    }

    /// Joins a channel, connecting first if needed; it stays joined across
    /// reconnects until [`Socket::leave`].
    pub fn join(&mut self, channel: ChannelId, now: Millis) {
        let Some(c) = self.channels.get_mut(&channel) else {
            return;
        };
        if c.wanted {
            return;
        }
        c.wanted = true;
        if self.state == ConnectionState::Open {
            self.send_join(channel, now);
        } else {
            self.set_channel_state(channel, ChannelState::Joining);
            if !self.wanted {
                self.connect(now);
            }
        }
    }

    /// Leaves a channel and forgets it; unsent pushes are dropped.
    pub fn leave(&mut self, channel: ChannelId, now: Millis) {
        let Some(mut c) = self.channels.remove(&channel) else {
            return;
        };
        if let (Some(conn), Some(join_ref)) = (self.conn_if_open(), c.join_ref.clone()) {
            let r = self.take_ref();
            let frame = Frame::new(Some(join_ref), Some(r), &c.topic, events::LEAVE, json!({}));
            self.send_frame(conn, &frame);
        }
        let dropped = c
            .buffer
            .drain(..)
            .map(|p| p.id)
            .chain(c.awaiting.values().map(|a| a.id))
            .chain(c.track_push.take());
        for push in dropped.collect::<Vec<_>>() {
            self.events.push_back(Event::Push {
                channel,
                push,
                result: PushResult::Dropped,
            });
        }
        if c.state != ChannelState::Closed {
            self.events.push_back(Event::Channel {
                channel,
                state: ChannelState::Closed,
            });
        }
        let _ = now;
    }

    /// Sends a broadcast (buffered until joined). With `ack` in the
    /// channel's config the result waits for the server's reply.
    pub fn broadcast(
        &mut self,
        channel: ChannelId,
        event: &str,
        payload: Value,
        now: Millis,
    ) -> PushId {
        let reply = self
            .channels
            .get(&channel)
            .is_some_and(|c| c.config.broadcast_ack);
        self.push(
            channel,
            events::BROADCAST,
            broadcast_payload(event, payload),
            reply,
            now,
        )
    }

    /// Tracks this client's presence state on a channel; it is tracked again
    /// after every rejoin.
    pub fn track(&mut self, channel: ChannelId, state: Value, now: Millis) -> PushId {
        let id = self.take_push_id();
        let open = self.state == ConnectionState::Open;
        let Some(c) = self.channels.get_mut(&channel) else {
            self.events.push_back(Event::Push {
                channel,
                push: id,
                result: PushResult::Dropped,
            });
            return id;
        };
        c.tracked = Some(state.clone());
        if open && c.state == ChannelState::Joined {
            self.send_push(
                channel,
                Pending {
                    id,
                    event: events::PRESENCE,
                    payload: track_payload(state),
                    reply: true,
                },
                now,
            );
        } else if let Some(replaced) = c.track_push.replace(id) {
            // Only the latest state matters; the earlier call never went out.
            self.events.push_back(Event::Push {
                channel,
                push: replaced,
                result: PushResult::Dropped,
            });
        }
        id
    }

    /// Stops tracking presence on a channel.
    pub fn untrack(&mut self, channel: ChannelId, now: Millis) -> PushId {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.tracked = None;
            if let Some(push) = c.track_push.take() {
                self.events.push_back(Event::Push {
                    channel,
                    push,
                    result: PushResult::Dropped,
                });
            }
        }
        self.push(channel, events::PRESENCE, untrack_payload(), true, now)
    }

    /// Uses `token` for joins from now on and sends it to every joined
    /// channel; `None` (signed out) makes later joins use the project key.
    pub fn set_access_token(&mut self, token: Option<String>, _now: Millis) {
        if token == self.token {
            return;
        }
        self.token = token;
        let (Some(conn), Some(token)) = (self.conn_if_open(), self.token.clone()) else {
            return;
        };
        let joined: Vec<_> = self
            .channels
            .values()
            .filter(|c| c.state == ChannelState::Joined)
            .map(|c| (c.topic.clone(), c.join_ref.clone()))
            .collect();
        for (topic, join_ref) in joined {
            let r = self.take_ref();
            let frame = Frame::new(
                join_ref,
                Some(r),
                topic,
                events::ACCESS_TOKEN,
                access_token_payload(&token),
            );
            self.send_frame(conn, &frame);
        }
    }

    // ----- what the driver reports ------------------------------------------

    /// The connection `conn` opened.
    pub fn opened(&mut self, conn: ConnId, now: Millis) {
        if self.conn != Some(conn) || !matches!(self.state, ConnectionState::Connecting { .. }) {
            return;
        }
        self.attempt = 0;
        self.connect_deadline = None;
        self.heartbeat_due = Some(now + self.options.heartbeat_interval);
        self.heartbeat_pending = None;
        self.set_state(ConnectionState::Open);
        let wanted: Vec<_> = self
            .channels
            .iter()
            .filter(|(_, c)| c.wanted)
            .map(|(&id, _)| id)
            .collect();
        for id in wanted {
            self.send_join(id, now);
        }
    }

    /// The connection `conn` closed (or failed to open).
    pub fn closed(&mut self, conn: ConnId, now: Millis) {
        if self.conn == Some(conn) {
            self.lose_connection(now, None);
        }
    }

    /// A text message arrived on `conn`. Unreadable messages are ignored.
    pub fn received_text(&mut self, conn: ConnId, text: &str, now: Millis) {
        if self.conn != Some(conn) {
            return;
        }
        if let Ok(frame) = Frame::decode(text, self.options.vsn) {
            self.route(frame, now);
        }
    }

    /// A binary message arrived on `conn`.
    pub fn received_binary(&mut self, conn: ConnId, bytes: &[u8], now: Millis) {
        if self.conn != Some(conn) {
            return;
        }
        if let Ok(frame) = Frame::decode_binary(bytes) {
            self.route(frame, now);
        }
    }

    /// Time passed: heartbeats, timeouts, reconnects and rejoins that are due.
    pub fn tick(&mut self, now: Millis) {
        match self.state.clone() {
            ConnectionState::Connecting { .. } => {
                if self.connect_deadline.is_some_and(|d| now >= d) {
                    self.lose_connection(now, Some((1000, "connect timeout")));
                }
            }
            ConnectionState::Waiting { retry_at, .. } => {
                if now >= retry_at {
                    self.open_now(now);
                }
            }
            ConnectionState::Open => {
                if self.heartbeat_due.is_some_and(|d| now >= d) {
                    if self.heartbeat_pending.is_some() {
                        self.lose_connection(now, Some((1000, "heartbeat timeout")));
                    } else {
                        self.send_heartbeat(now);
                    }
                }
            }
            ConnectionState::Closed => {}
        }
        if self.state == ConnectionState::Open {
            self.channel_timers(now);
        }
        self.push_timeouts(now);
    }

    /// The tab became visible or the network came back: reconnect now if
    /// waiting, or check an open connection with a heartbeat, since timers
    /// of background tabs are throttled and the server may have dropped us.
    pub fn wake(&mut self, now: Millis) {
        match self.state {
            ConnectionState::Waiting { .. } => self.open_now(now),
            ConnectionState::Open if self.heartbeat_pending.is_none() => self.send_heartbeat(now),
            _ => {}
        }
    }

    /// The browser reports the network gone: drop the connection now rather
    /// than wait for a heartbeat to time out.
    pub fn offline(&mut self, now: Millis) {
        if matches!(
            self.state,
            ConnectionState::Open | ConnectionState::Connecting { .. }
        ) {
            self.lose_connection(now, Some((1000, "network offline")));
        }
    }

    // ----- internals ----------------------------------------------------------

    fn conn_if_open(&self) -> Option<ConnId> {
        (self.state == ConnectionState::Open)
            .then_some(self.conn)
            .flatten()
    }

    fn take_ref(&mut self) -> String {
        self.next_ref += 1;
        self.next_ref.to_string()
    }

    fn take_push_id(&mut self) -> PushId {
        self.next_push += 1;
        PushId(self.next_push)
    }

    fn random_unit(&mut self) -> f64 {
        // xorshift64*: plenty for jitter, and reproducible in tests.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn delay(&mut self, attempt: u32) -> Duration {
        let unit = self.random_unit();
        backoff_delay(&self.options.backoff, attempt, self.options.jitter, unit)
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state.clone();
            self.events.push_back(Event::Connection(state));
        }
    }

    fn set_channel_state(&mut self, channel: ChannelId, state: ChannelState) {
        if let Some(c) = self.channels.get_mut(&channel) {
            if c.state != state {
                c.state = state.clone();
                self.events.push_back(Event::Channel { channel, state });
            }
        }
    }

    fn send_frame(&mut self, conn: ConnId, frame: &Frame) {
        self.commands.push_back(Command::SendText {
            conn,
            text: frame.encode(self.options.vsn),
        });
    }

    fn open_now(&mut self, now: Millis) {
        self.next_conn += 1;
        let conn = ConnId(self.next_conn);
        self.conn = Some(conn);
        self.connect_deadline = Some(now + self.options.connect_timeout);
        self.commands.push_back(Command::Open {
            conn,
            url: self.options.url.clone(),
        });
        self.set_state(ConnectionState::Connecting {
            attempt: self.attempt,
        });
    }

    fn lose_connection(&mut self, now: Millis, close: Option<(u16, &str)>) {
        if let (Some(conn), Some((code, reason))) = (self.conn, close) {
            self.commands.push_back(Command::Close {
                conn,
                code,
                reason: reason.to_owned(),
            });
        }
        self.conn = None;
        self.connect_deadline = None;
        self.heartbeat_due = None;
        self.heartbeat_pending = None;
        let ids: Vec<_> = self.channels.keys().copied().collect();
        for id in ids {
            let c = self.channels.get_mut(&id).expect("listed above");
            c.join_ref = None;
            c.join_deadline = None;
            let next = if c.wanted {
                ChannelState::Joining
            } else {
                ChannelState::Closed
            };
            // Replies to pushes sent on the lost connection will never come.
            let lost: Vec<_> = std::mem::take(&mut c.awaiting)
                .into_values()
                .map(|a| a.id)
                .collect();
            for push in lost {
                self.events.push_back(Event::Push {
                    channel: id,
                    push,
                    result: PushResult::Timeout,
                });
            }
            self.set_channel_state(id, next);
        }
        if self.wanted {
            self.attempt += 1;
            let retry_at = now + self.delay(self.attempt);
            self.set_state(ConnectionState::Waiting {
                attempt: self.attempt,
                retry_at,
            });
        } else {
            self.set_state(ConnectionState::Closed);
        }
    }

    fn send_heartbeat(&mut self, now: Millis) {
        let Some(conn) = self.conn_if_open() else {
            return;
        };
        let r = self.take_ref();
        let frame = Frame::new(
            None,
            Some(r.clone()),
            PHOENIX_TOPIC,
            events::HEARTBEAT,
            json!({}),
        );
        self.send_frame(conn, &frame);
        self.heartbeat_pending = Some(r);
        self.heartbeat_due = Some(now + self.options.heartbeat_interval);
    }

    fn send_join(&mut self, channel: ChannelId, now: Millis) {
        let Some(conn) = self.conn_if_open() else {
            return;
        };
        let join_ref = self.take_ref();
        let token = self.token.clone();
        let deadline = now + self.options.push_timeout;
        let Some(c) = self.channels.get_mut(&channel) else {
            return;
        };
        c.join_ref = Some(join_ref.clone());
        c.join_deadline = Some(deadline);
        c.close_reason = None;
        c.presence.begin_join();
        let frame = Frame::new(
            Some(join_ref.clone()),
            Some(join_ref),
            c.topic.clone(),
            events::JOIN,
            c.config.join_payload(token.as_deref()),
        );
        self.send_frame(conn, &frame);
        self.set_channel_state(channel, ChannelState::Joining);
    }

    fn push(
        &mut self,
        channel: ChannelId,
        event: &'static str,
        payload: Value,
        reply: bool,
        now: Millis,
    ) -> PushId {
        let id = self.take_push_id();
        let pending = Pending {
            id,
            event,
            payload,
            reply,
        };
        let open = self.state == ConnectionState::Open;
        let limit = self.options.buffer_limit;
        let Some(c) = self.channels.get_mut(&channel) else {
            self.events.push_back(Event::Push {
                channel,
                push: id,
                result: PushResult::Dropped,
            });
            return id;
        };
        if open && c.state == ChannelState::Joined {
            self.send_push(channel, pending, now);
        } else {
            c.buffer.push_back(pending);
            while c.buffer.len() > limit {
                let oldest = c.buffer.pop_front().expect("over the limit");
                self.events.push_back(Event::Push {
                    channel,
                    push: oldest.id,
                    result: PushResult::Dropped,
                });
            }
        }
        id
    }

    fn send_push(&mut self, channel: ChannelId, pending: Pending, now: Millis) {
        let Some(conn) = self.conn_if_open() else {
            return;
        };
        let r = self.take_ref();
        let deadline = now + self.options.push_timeout;
        let Some(c) = self.channels.get_mut(&channel) else {
            return;
        };
        let frame = Frame::new(
            c.join_ref.clone(),
            Some(r.clone()),
            c.topic.clone(),
            pending.event,
            pending.payload,
        );
        if pending.reply {
            c.awaiting.insert(
                r,
                Awaiting {
                    id: pending.id,
                    deadline,
                },
            );
        }
        self.send_frame(conn, &frame);
        if !pending.reply {
            self.events.push_back(Event::Push {
                channel,
                push: pending.id,
                result: PushResult::Sent,
            });
        }
    }

    fn channel_errored(&mut self, channel: ChannelId, reason: String, now: Millis) {
        let Some(c) = self.channels.get_mut(&channel) else {
            return;
        };
        c.join_ref = None;
        c.join_deadline = None;
        c.rejoin_attempt += 1;
        let attempt = c.rejoin_attempt;
        let retry_at = now + self.delay(attempt);
        self.set_channel_state(channel, ChannelState::Errored { reason, retry_at });
    }

    fn channel_timers(&mut self, now: Millis) {
        let ids: Vec<_> = self.channels.keys().copied().collect();
        for id in ids {
            let c = &self.channels[&id];
            if c.join_deadline.is_some_and(|d| now >= d) {
                // Tell the server to drop the half-made join before retrying.
                if let (Some(conn), Some(join_ref)) = (self.conn, c.join_ref.clone()) {
                    let topic = c.topic.clone();
                    let r = self.take_ref();
                    let frame =
                        Frame::new(Some(join_ref), Some(r), topic, events::LEAVE, json!({}));
                    self.send_frame(conn, &frame);
                }
                self.channel_errored(id, "join timed out".to_owned(), now);
            } else if let ChannelState::Errored { retry_at, .. } = c.state {
                if now >= retry_at && c.wanted {
                    self.send_join(id, now);
                }
            }
        }
    }

    fn push_timeouts(&mut self, now: Millis) {
        for (&id, c) in self.channels.iter_mut() {
            let expired: Vec<_> = c
                .awaiting
                .iter()
                .filter(|(_, a)| now >= a.deadline)
                .map(|(r, _)| r.clone())
                .collect();
            for r in expired {
                let a = c.awaiting.remove(&r).expect("listed above");
                self.events.push_back(Event::Push {
                    channel: id,
                    push: a.id,
                    result: PushResult::Timeout,
                });
            }
        }
    }

    fn joined(&mut self, channel: ChannelId, now: Millis) {
        let Some(c) = self.channels.get_mut(&channel) else {
            return;
        };
        c.join_deadline = None;
        c.rejoin_attempt = 0;
        let rejoin = c.joined_before;
        c.joined_before = true;
        let retrack = c.tracked.clone().map(|state| (c.track_push.take(), state));
        let buffered: Vec<_> = c.buffer.drain(..).collect();
        self.set_channel_state(channel, ChannelState::Joined);
        self.events.push_back(Event::Joined { channel, rejoin });
        if let Some((id, state)) = retrack {
            let id = id.unwrap_or_else(|| self.take_push_id());
            self.send_push(
                channel,
                Pending {
                    id,
                    event: events::PRESENCE,
                    payload: track_payload(state),
                    reply: true,
                },
                now,
            );
        }
        for pending in buffered {
            self.send_push(channel, pending, now);
        }
    }

    fn route(&mut self, frame: Frame, now: Millis) {
        if frame.topic == PHOENIX_TOPIC {
            if frame.event == events::REPLY
                && frame.r#ref.is_some()
                && frame.r#ref == self.heartbeat_pending
            {
                self.heartbeat_pending = None;
            }
            return;
        }
        let Some((&id, c)) = self.channels.iter().find(|(_, c)| c.topic == frame.topic) else {
            return;
        };
        // 2.0.0 frames name the join they belong to; drop those of an
        // earlier join of this channel.
        if frame.join_ref.is_some() && frame.join_ref != c.join_ref {
            return;
        }
        let is_join_reply = frame.r#ref.is_some() && frame.r#ref == c.join_ref;
        match Inbound::classify(&frame) {
            Inbound::Reply { status, response } => {
                if is_join_reply && c.state == ChannelState::Joining {
                    if status == ReplyStatus::Ok {
                        self.joined(id, now);
                    } else {
                        self.channel_errored(id, reply_reason(&response), now);
                    }
                } else if let Some(r) = &frame.r#ref {
                    let c = self.channels.get_mut(&id).expect("found above");
                    if let Some(a) = c.awaiting.remove(r) {
                        let result = match status {
                            ReplyStatus::Ok => PushResult::Ok(response),
                            _ => PushResult::Error(reply_reason(&response)),
                        };
                        self.events.push_back(Event::Push {
                            channel: id,
                            push: a.id,
                            result,
                        });
                    }
                }
            }
            Inbound::Broadcast {
                event,
                payload,
                meta,
            } => self.events.push_back(Event::Broadcast {
                channel: id,
                event,
                payload,
                meta,
            }),
            Inbound::PresenceState(state) => {
                let c = self.channels.get_mut(&id).expect("found above");
                let change = c.presence.apply_state(&state);
                self.events.push_back(Event::Presence {
                    channel: id,
                    change,
                });
            }
            Inbound::PresenceDiff(diff) => {
                let c = self.channels.get_mut(&id).expect("found above");
                if let Some(change) = c.presence.apply_diff(&diff) {
                    self.events.push_back(Event::Presence {
                        channel: id,
                        change,
                    });
                }
            }
            Inbound::System(message) => {
                if message.status == "error" {
                    let c = self.channels.get_mut(&id).expect("found above");
                    c.close_reason = Some(message.message.clone());
                }
                self.events.push_back(Event::System {
                    channel: id,
                    message,
                });
            }
            Inbound::Close | Inbound::Error => {
                // The server ended the channel (token expired, permission
                // revoked, crash). Rejoining with backoff recovers once a
                // fresh token is in place, and costs little otherwise.
                let c = self.channels.get_mut(&id).expect("found above");
                if matches!(c.state, ChannelState::Joined | ChannelState::Joining) {
                    let reason = c.close_reason.take().unwrap_or_else(|| {
                        if frame.event == events::CLOSE {
                            "closed by the server".to_owned()
                        } else {
                            "channel error".to_owned()
                        }
                    });
                    self.channel_errored(id, reason, now);
                }
            }
            Inbound::Other => {}
        }
    }
}

#[cfg(test)]
mod tests;
