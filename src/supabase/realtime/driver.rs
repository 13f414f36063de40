//! The browser side of the Realtime client: a `WebSocket`, one timer and the
//! page's visibility and network events feeding a [`Socket`].
//!
//! [`Realtime`] is cheap to clone (shared). Everything it learns goes into
//! the state machine, whose commands it carries out and whose events it hands
//! to the listeners registered with [`Realtime::on_event`]. The connection
//! state is also a Leptos signal for the views.
//!
//! ```no_run
//! use serde_json::json;
//! use workflow_chat::config::SupabaseConfig;
//! use workflow_chat::supabase::realtime::{ChannelConfig, Event, Realtime, SocketOptions};
//!
//! let config = SupabaseConfig::from_document().unwrap();
//! let realtime = Realtime::new(SocketOptions::new(config.realtime_url()));
//! realtime.set_access_token(Some("<user jwt>".into()));
//! let room = realtime.channel(ChannelConfig::private("room:42").with_presence_key("me"));
//! realtime.on_event(move |event| {
//!     if let Event::Broadcast { channel, event, payload, .. } = event {
//!         if *channel == room {
//!             web_sys::console::log_1(&format!("{event}: {payload}").into());
//!         }
//!     }
//! });
//! realtime.join(room);
//! realtime.broadcast(room, "typing", json!({"on": true}));
//! ```

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use leptos::prelude::{Get, ReadSignal, RwSignal, Set};
use serde_json::Value;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, VisibilityState, WebSocket};

use super::message::ChannelConfig;
use super::presence::Presence;
use super::socket::{
    ChannelId, ChannelState, Command, ConnId, ConnectionState, Event, PushId, Socket, SocketOptions,
};
use crate::supabase::auth::TokenCell;
use crate::supabase::time::Millis;

/// What listeners receive: the state machine's events.
pub type RealtimeEvent = Event;

/// Identifies an event listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventListenerId(u64);

type Listener = Rc<dyn Fn(&Event)>;

struct Transport {
    conn: ConnId,
    ws: WebSocket,
    // Kept alive while the WebSocket may call them; detached before drop.
    _on_open: Closure<dyn FnMut()>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Transport {
    fn detach(&self) {
        self.ws.set_onopen(None);
        self.ws.set_onclose(None);
        self.ws.set_onmessage(None);
    }
}

struct PageHooks {
    visibility: Closure<dyn FnMut()>,
    online: Closure<dyn FnMut()>,
    offline: Closure<dyn FnMut()>,
}

impl Drop for PageHooks {
    // The page must not call closures that no longer exist.
    fn drop(&mut self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(document) = window.document() {
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                self.visibility.as_ref().unchecked_ref(),
            );
        }
        let _ = window
            .remove_event_listener_with_callback("online", self.online.as_ref().unchecked_ref());
        let _ = window
            .remove_event_listener_with_callback("offline", self.offline.as_ref().unchecked_ref());
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = self.transport.take() {
            t.detach();
            let _ = t.ws.close();
        }
    }
}

struct Inner {
    socket: Socket,
    transport: Option<Transport>,
    timer: Option<gloo_timers::callback::Timeout>,
    listeners: Vec<(u64, Listener)>,
    next_listener: u64,
    state: RwSignal<ConnectionState>,
    page: Option<PageHooks>,
}

/// The Realtime client for the browser; see the module documentation.
#[derive(Clone)]
pub struct Realtime {
    inner: Rc<RefCell<Inner>>,
}

impl Realtime {
    /// A client that connects on the first join (or [`Realtime::connect`]).
    pub fn new(options: SocketOptions) -> Realtime {
        let mut options = options;
        // Vary jitter between tabs; the state machine itself stays
        // deterministic for tests.
        options.seed ^= (js_sys::Math::random() * u64::MAX as f64) as u64;
        let realtime = Realtime {
            inner: Rc::new(RefCell::new(Inner {
                socket: Socket::new(options),
                transport: None,
                timer: None,
                listeners: Vec::new(),
                next_listener: 0,
                state: RwSignal::new(ConnectionState::Closed),
                page: None,
            })),
        };
        realtime.hook_page_events();
        realtime
    }

    /// The connection state, for the views.
    pub fn connection_state(&self) -> ReadSignal<ConnectionState> {
        self.inner.borrow().state.read_only()
    }

    /// The connection state now.
    pub fn current_state(&self) -> ConnectionState {
        self.inner.borrow().state.get()
    }

    /// Connects and keeps reconnecting.
    pub fn connect(&self) {
        self.drive(|s, now| s.connect(now));
    }

    /// Disconnects and stops reconnecting.
    pub fn disconnect(&self) {
        self.drive(|s, now| s.disconnect(now));
    }

    /// Adds a channel; see [`Socket::channel`].
    pub fn channel(&self, config: ChannelConfig) -> ChannelId {
        self.inner.borrow_mut().socket.channel(config)
    }

    /// Joins a channel (connecting if needed).
    pub fn join(&self, channel: ChannelId) {
        self.drive(|s, now| s.join(channel, now));
    }

    /// Leaves and forgets a channel.
    pub fn leave(&self, channel: ChannelId) {
        self.drive(|s, now| s.leave(channel, now));
    }

    /// Sends a broadcast on a channel (buffered until joined).
    pub fn broadcast(&self, channel: ChannelId, event: &str, payload: Value) -> PushId {
        self.drive(|s, now| s.broadcast(channel, event, payload, now))
    }

    /// Tracks presence state on a channel.
    pub fn track(&self, channel: ChannelId, state: Value) -> PushId {
        self.drive(|s, now| s.track(channel, state, now))
    }

    /// Stops tracking presence on a channel.
    pub fn untrack(&self, channel: ChannelId) -> PushId {
        self.drive(|s, now| s.untrack(channel, now))
    }

    /// A channel's state.
    pub fn channel_state(&self, channel: ChannelId) -> Option<ChannelState> {
        self.inner.borrow().socket.channel_state(channel).cloned()
    }

    /// A copy of a channel's presence list.
    pub fn presence(&self, channel: ChannelId) -> Option<Presence> {
        self.inner.borrow().socket.presence(channel).cloned()
    }

    /// Sets the token used for joins and sends it to joined channels.
    pub fn set_access_token(&self, token: Option<String>) {
        self.drive(|s, now| s.set_access_token(token, now));
    }

    /// Follows `cell`: every new token goes to the channels; sign-out
    /// leaves every channel and disconnects.
    pub fn bind_token(&self, cell: &TokenCell) {
        self.set_access_token(cell.get().map(|t| t.as_str().to_owned()));
        let weak = Rc::downgrade(&self.inner);
        cell.subscribe(move |token| {
            let Some(inner) = weak.upgrade() else { return };
            let realtime = Realtime { inner };
            match token {
                Some(token) => realtime.set_access_token(Some(token.as_str().to_owned())),
                None => realtime.reset(),
            }
        });
    }

    /// Leaves every channel, forgets the token and disconnects.
    pub fn reset(&self) {
        self.drive(|s, now| {
            for id in s.channel_ids() {
                s.leave(id, now);
            }
            s.set_access_token(None, now);
            s.disconnect(now);
        });
    }

    /// Calls `listener` with every event.
    pub fn on_event(&self, listener: impl Fn(&Event) + 'static) -> EventListenerId {
        let mut inner = self.inner.borrow_mut();
        let id = inner.next_listener;
        inner.next_listener += 1;
        inner.listeners.push((id, Rc::new(listener)));
        EventListenerId(id)
    }

    /// Removes a listener.
    pub fn off(&self, id: EventListenerId) {
        self.inner
            .borrow_mut()
            .listeners
            .retain(|(l, _)| *l != id.0);
    }

    /// Closes the current WebSocket without telling the state machine, so
    /// that the close arrives as an unexpected loss — what a network drop
    /// or a server restart looks like. For tests and diagnostics.
    pub fn drop_transport(&self) {
        if let Some(t) = &self.inner.borrow().transport {
            let _ = t.ws.close();
        }
    }

    /// Runs one input through the state machine, then carries out its
    /// commands, re-arms the timer and hands out its events.
    fn drive<R>(&self, input: impl FnOnce(&mut Socket, Millis) -> R) -> R {
        let result = input(&mut self.inner.borrow_mut().socket, Millis::now());
        self.pump();
        result
    }

    fn pump(&self) {
        loop {
            let command = self.inner.borrow_mut().socket.poll_command();
            let Some(command) = command else { break };
            self.execute(command);
        }
        self.arm_timer();
        let (events, listeners, signal) = {
            let mut inner = self.inner.borrow_mut();
            let events: Vec<Event> = std::iter::from_fn(|| inner.socket.poll_event()).collect();
            let listeners: Vec<Listener> = inner.listeners.iter().map(|(_, l)| l.clone()).collect();
            (events, listeners, inner.state)
        };
        // Listeners run with nothing borrowed: they may call back into us.
        for event in &events {
            if let Event::Connection(state) = event {
                signal.set(state.clone());
            }
            for listener in &listeners {
                listener(event);
            }
        }
    }

    fn execute(&self, command: Command) {
        match command {
            Command::Open { conn, url } => {
                self.close_transport();
                match self.open_transport(conn, &url) {
                    Some(transport) => self.inner.borrow_mut().transport = Some(transport),
                    None => {
                        // The URL was refused outright: report it like a
                        // failed connection so the backoff applies.
                        self.inner.borrow_mut().socket.closed(conn, Millis::now());
                    }
                }
            }
            Command::SendText { conn, text } => {
                let inner = self.inner.borrow();
                if let Some(t) = inner.transport.as_ref().filter(|t| t.conn == conn) {
                    let _ = t.ws.send_with_str(&text);
                }
            }
            Command::Close { conn, code, reason } => {
                let is_current = self
                    .inner
                    .borrow()
                    .transport
                    .as_ref()
                    .is_some_and(|t| t.conn == conn);
                if is_current {
                    let transport = self.inner.borrow_mut().transport.take();
                    if let Some(t) = transport {
                        t.detach();
                        let _ = t.ws.close_with_code_and_reason(code, &reason);
                    }
                }
            }
        }
    }

    fn close_transport(&self) {
        let transport = self.inner.borrow_mut().transport.take();
        if let Some(t) = transport {
            t.detach();
            let _ = t.ws.close();
        }
    }

    fn open_transport(&self, conn: ConnId, url: &str) -> Option<Transport> {
        let ws = WebSocket::new(url).ok()?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let weak = Rc::downgrade(&self.inner);
        let on_open = callback0(&weak, move |r| r.drive(|s, now| s.opened(conn, now)));
        let weak_close = weak.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_event: CloseEvent| {
            if let Some(inner) = weak_close.upgrade() {
                Realtime { inner }.drive(|s, now| s.closed(conn, now));
            }
        });
        let weak_message = weak.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(inner) = weak_message.upgrade() else {
                return;
            };
            let realtime = Realtime { inner };
            let data = event.data();
            if let Some(text) = data.as_string() {
                realtime.drive(|s, now| s.received_text(conn, &text, now));
            } else if let Ok(buffer) = data.dyn_into::<js_sys::ArrayBuffer>() {
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                realtime.drive(|s, now| s.received_binary(conn, &bytes, now));
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Transport {
            conn,
            ws,
            _on_open: on_open,
            _on_close: on_close,
            _on_message: on_message,
        })
    }

    fn arm_timer(&self) {
        let deadline = self.inner.borrow().socket.next_deadline();
        let timer = deadline.map(|deadline| {
            let delay = deadline
                .since(Millis::now())
                .as_millis()
                .min(u32::MAX as u128) as u32;
            let weak = Rc::downgrade(&self.inner);
            gloo_timers::callback::Timeout::new(delay, move || {
                if let Some(inner) = weak.upgrade() {
                    Realtime { inner }.drive(|s, now| s.tick(now));
                }
            })
        });
        // Replacing the old timer cancels it.
        self.inner.borrow_mut().timer = timer;
    }

    fn hook_page_events(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        let visibility = callback0(&weak, |r| {
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == VisibilityState::Visible);
            if visible {
                r.drive(|s, now| s.wake(now));
            }
        });
        let online = callback0(&weak, |r| r.drive(|s, now| s.wake(now)));
        let offline = callback0(&weak, |r| r.drive(|s, now| s.offline(now)));
        if let Some(document) = window.document() {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                visibility.as_ref().unchecked_ref(),
            );
        }
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        let _ =
            window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        self.inner.borrow_mut().page = Some(PageHooks {
            visibility,
            online,
            offline,
        });
    }
}

fn callback0(weak: &Weak<RefCell<Inner>>, f: impl Fn(Realtime) + 'static) -> Closure<dyn FnMut()> {
    let weak = weak.clone();
    Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = weak.upgrade() {
            f(Realtime { inner });
        }
    })
}
