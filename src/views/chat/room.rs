//! The live state of one open chat session and the glue that keeps it
//! current: history pages, the `chat:<session>` channel (messages,
//! reactions, reads, presence) and the `typing:<session>` channel, sends with their pending and failed
//! states, read marks.
//!
//! [`Room`] is a bundle of arena handles (`Copy`), so components and
//! callbacks can hold it freely; the merge rules themselves live in the
//! pure stores of [`crate::chat`].

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use uuid::Uuid;

use super::super::clock::now_ms;
use super::super::ctx::AppCtx;
use super::super::local;
use super::super::model::receipts::{apply_read, Reader};
use crate::chat::events::{
    chat_channel, typing_channel, ChatEvent, PresenceInfo, Typing, TYPING_EVENT,
};
use crate::chat::presence::{online, TypingIndicators, TypingThrottle};
use crate::chat::timeline::Timeline;
use crate::chat::types::{Message, MessageKind, ReadState, Role, Session};
use crate::chat::{ChatApi, MessageRange, NewMessage};
use crate::supabase::realtime::{ChannelId, ChannelState, Event, Realtime};
use crate::supabase::rpc::RpcError;
use crate::supabase::storage::StorageClient;
use crate::supabase::time::Millis;

/// Messages per history page.
pub const PAGE_SIZE: u32 = 50;

/// Where opening the session stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomStatus {
    /// Fetching the session.
    Loading,
    /// Open.
    Ready,
    /// The session does not exist or is not shared with the user.
    NoAccess,
    /// Opening failed.
    Failed(String),
}

#[derive(Clone)]
struct Services {
    chat: ChatApi,
    realtime: Realtime,
    channel: Option<ChannelId>,
    typing_channel: Option<ChannelId>,
    listener: Option<crate::supabase::realtime::driver::EventListenerId>,
}

/// One open session; see the module documentation.
#[derive(Clone, Copy)]
pub struct Room {
    /// The session.
    pub session_id: Uuid,
    /// Its workflow.
    pub workflow_id: Uuid,
    /// The signed-in account.
    pub me: Uuid,
    ctx: AppCtx,
    services: StoredValue<Services, LocalStorage>,
    my_name: StoredValue<String>,
    /// The messages.
    pub timeline: RwSignal<Timeline>,
    /// The session itself (title, archive state).
    pub session: RwSignal<Option<Session>>,
    /// Opening state.
    pub status: RwSignal<RoomStatus>,
    /// The user's read position when the session opened: the unread
    /// divider goes after it.
    pub unread_anchor: RwSignal<Option<i64>>,
    /// Everyone's read positions.
    pub readers: RwSignal<Vec<Reader>>,
    /// Names of those typing now.
    pub typing_names: RwSignal<Vec<String>>,
    typing: StoredValue<TypingIndicators>,
    throttle: StoredValue<TypingThrottle>,
    /// Who is online in the session.
    pub online: RwSignal<Vec<PresenceInfo>>,
    /// Names of the workflow's members and of authors seen, by account.
    pub names: RwSignal<HashMap<Uuid, String>>,
    /// The message the composer replies to.
    pub reply_to: RwSignal<Option<Message>>,
    /// The message the composer edits.
    pub editing: RwSignal<Option<Message>>,
    /// Whether the channel is joined.
    pub joined: RwSignal<bool>,
    /// The user's role in the workflow.
    pub role: Memo<Option<Role>>,
    /// Whether the session is archived (read-only).
    pub archived: Memo<bool>,
    /// A failed action (reaction, edit, delete) to tell the user about.
    pub action_error: RwSignal<Option<String>>,
    /// When each pending send was made (for its timestamp).
    pub pending_since: RwSignal<HashMap<Uuid, i64>>,
    transient: StoredValue<HashSet<Uuid>>,
    last_marked: StoredValue<i64>,
    fetch_failures: StoredValue<u32>,
    rejoin_while_loading: StoredValue<bool>,
}

impl Room {
    /// Opens a session: fetches it, its newest messages, read positions
    /// and members, then joins its channel.
    pub fn open(ctx: AppCtx, workflow_id: Uuid, session_id: Uuid) -> Option<Room> {
        let signed = ctx.signed_in_untracked()?;
        let session = RwSignal::new(None::<Session>);
        let room = Room {
            session_id,
            workflow_id,
            me: signed.account.id,
            ctx,
            services: StoredValue::new_local(Services {
                chat: signed.chat.clone(),
                realtime: signed.realtime.clone(),
                channel: None,
                typing_channel: None,
                listener: None,
            }),
            my_name: StoredValue::new(signed.account.display_name.clone()),
            timeline: RwSignal::new(Timeline::new(session_id, PAGE_SIZE)),
            session,
            status: RwSignal::new(RoomStatus::Loading),
            unread_anchor: RwSignal::new(None),
            readers: RwSignal::new(Vec::new()),
            typing_names: RwSignal::new(Vec::new()),
            typing: StoredValue::new(TypingIndicators::new(signed.account.id)),
            throttle: StoredValue::new(TypingThrottle::default()),
            online: RwSignal::new(Vec::new()),
            names: RwSignal::new(HashMap::from([(
                signed.account.id,
                signed.account.display_name.clone(),
            )])),
            reply_to: RwSignal::new(None),
            editing: RwSignal::new(None),
            joined: RwSignal::new(false),
            role: Memo::new(move |_| ctx.workflow(workflow_id).map(|w| w.my_role)),
            archived: Memo::new(move |_| {
                session.with(|s| s.as_ref().is_some_and(|s| s.archived_at.is_some()))
            }),
            action_error: RwSignal::new(None),
            pending_since: RwSignal::new(HashMap::new()),
            transient: StoredValue::new(HashSet::new()),
            last_marked: StoredValue::new(0),
            fetch_failures: StoredValue::new(0),
            rejoin_while_loading: StoredValue::new(false),
        };
        room.start();
        Some(room)
    }

    // The clients, or `None` once the view has closed: async work that
    // ends after that finds nothing to update.
    fn chat(&self) -> Option<ChatApi> {
        self.services.try_with_value(|s| s.chat.clone())
    }

    /// A Storage client with the user's token, while the view is open.
    pub fn storage(&self) -> Option<StorageClient> {
        self.services.try_with_value(|s| {
            StorageClient::new(s.chat.config().clone(), Some(s.chat.tokens().clone()))
        })
    }

    fn realtime(&self) -> Option<Realtime> {
        self.services.try_with_value(|s| s.realtime.clone())
    }

    fn typing_channel(&self) -> Option<ChannelId> {
        self.services.try_with_value(|s| s.typing_channel).flatten()
    }

    fn start(self) {
        let Some(chat) = self.chat() else { return };
        // The session first: only a session the user may see is joined.
        spawn_local(async move {
            match chat.get_session(self.session_id).await {
                Ok(session) => {
                    self.unread_anchor.try_set(session.last_read_seq);
                    self.last_marked
                        .try_set_value(session.last_read_seq.unwrap_or(0));
                    self.session.try_set(Some(session));
                    self.status.try_set(RoomStatus::Ready);
                    self.join();
                    self.pump();
                    self.load_readers();
                    self.load_members();
                }
                Err(RpcError::NotFound(_)) => {
                    self.status.try_set(RoomStatus::NoAccess);
                }
                Err(e) => {
                    self.status.try_set(RoomStatus::Failed(e.to_string()));
                }
            }
        });
    }

    /// Tries opening again after a failure.
    pub fn reopen(self) {
        self.status.set(RoomStatus::Loading);
        self.start();
    }

    /// Leaves the channel (the view closed).
    pub fn close(self) {
        let Some(services) = self.services.try_get_value() else {
            return;
        };
        if let Some(channel) = services.channel {
            if self
                .throttle
                .try_update_value(|t| t.on_idle(Millis::now(), true))
                == Some(Some(false))
            {
                self.broadcast_typing(false);
            }
            services.realtime.leave(channel);
        }
        if let Some(typing) = services.typing_channel {
            services.realtime.leave(typing);
        }
        if let Some(listener) = services.listener {
            services.realtime.off(listener);
        }
    }

    fn join(self) {
        let Some(realtime) = self.realtime() else {
            return;
        };
        let channel = realtime.channel(chat_channel(self.session_id, self.me));
        let typing = realtime.channel(typing_channel(self.session_id));
        let listener = realtime.on_event(move |event| self.on_event(channel, typing, event));
        self.services.update_value(|s| {
            s.channel = Some(channel);
            s.typing_channel = Some(typing);
            s.listener = Some(listener);
        });
        realtime.join(channel);
        realtime.join(typing);
        // Tracked again by the socket after every rejoin.
        realtime.track(
            channel,
            json!(PresenceInfo {
                account_id: self.me,
                display_name: self.my_name.get_value(),
                online_at: js_sys::Date::new_0().to_iso_string().into(),
            }),
        );
    }

    // ----- history -------------------------------------------------------

    /// Fetches whatever the timeline needs next (first page, a hole, a
    /// catch-up after a reconnect, older history), one request at a time.
    pub fn pump(self) {
        let Some(Some(range)) = self.timeline.try_update(|t| t.begin_fetch()) else {
            return;
        };
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            match chat.get_messages(self.session_id, range, PAGE_SIZE).await {
                Ok(page) => {
                    self.fetch_failures.try_set_value(0);
                    self.remember_authors(&page);
                    let first = range == MessageRange::Newest;
                    self.timeline.try_update(|t| {
                        t.apply_page(range, page);
                        if first && self.rejoin_while_loading.get_value() {
                            t.on_rejoined();
                        }
                    });
                    self.pump();
                }
                Err(e) => {
                    self.timeline.try_update(|t| t.fetch_failed(range));
                    if matches!(e, RpcError::NotFound(_)) {
                        self.status.try_set(RoomStatus::NoAccess);
                        return;
                    }
                    // Try again with growing pauses; a rejoin also retries.
                    let failures = self.fetch_failures.try_update_value(|f| {
                        *f += 1;
                        *f
                    });
                    let Some(failures) = failures else { return };
                    let delay = [1, 2, 5, 10][(failures as usize - 1).min(3)];
                    set_timeout(move || self.pump(), Duration::from_secs(delay));
                }
            }
        });
    }

    /// The user scrolled to the top of what is held.
    pub fn load_older(self) {
        self.timeline.update(|t| t.request_older());
        self.pump();
    }

    fn load_readers(self) {
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            if let Ok(states) = chat.list_read_states(self.session_id).await {
                self.readers.try_update(|readers| {
                    for s in states {
                        apply_read(readers, reader(&s));
                    }
                });
            }
        });
    }

    fn load_members(self) {
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            if let Ok(members) = chat.list_members(self.workflow_id).await {
                self.names.try_update(|names| {
                    for m in members {
                        names.insert(m.account_id, m.display_name);
                    }
                });
            }
        });
    }

    fn remember_authors(self, messages: &[Message]) {
        let unknown: Vec<(Uuid, String)> = self
            .names
            .try_with_untracked(|names| {
                messages
                    .iter()
                    .filter(|m| !names.contains_key(&m.author.id))
                    .map(|m| (m.author.id, m.author.display_name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if !unknown.is_empty() {
            self.names.try_update(|names| names.extend(unknown));
        }
    }

    /// Whether the user may write here now (role and archive state).
    pub fn can_write(self) -> bool {
        self.role.get().is_some_and(Role::can_write) && !self.archived.get()
    }

    /// A person's name, or "Someone".
    pub fn name_of(self, id: Uuid) -> String {
        self.names
            .with(|n| n.get(&id).cloned())
            .unwrap_or_else(|| crate::i18n::texts().someone.to_owned())
    }

    // ----- realtime ------------------------------------------------------

    fn on_event(self, channel: ChannelId, typing: ChannelId, event: &Event) {
        match event {
            Event::Joined { channel: c, rejoin } if *c == channel => {
                self.joined.try_set(true);
                let loaded = self
                    .timeline
                    .try_with_untracked(Timeline::is_loaded)
                    .unwrap_or(false);
                if loaded {
                    // Frames may have been missed while away: catch up.
                    self.timeline.try_update(Timeline::on_rejoined);
                    self.pump();
                } else {
                    self.rejoin_while_loading.try_set_value(true);
                }
                if *rejoin {
                    self.load_readers();
                    self.retry_transient();
                }
            }
            Event::Channel { channel: c, state } if *c == channel => {
                self.joined.try_set(*state == ChannelState::Joined);
            }
            Event::Broadcast {
                channel: c,
                event,
                payload,
                ..
            } if *c == channel => {
                if let Ok(parsed) = ChatEvent::parse(event, payload) {
                    self.on_chat_event(parsed);
                }
            }
            Event::Broadcast {
                channel: c,
                event,
                payload,
                ..
            } if *c == typing => {
                if let Ok(parsed) = Typing::parse(event, payload) {
                    self.typing
                        .try_update_value(|t| t.apply(&parsed, Millis::now()));
                    self.refresh_typing();
                }
            }
            Event::Presence { channel: c, change } if *c == channel => {
                if let Some(presence) = self.realtime().and_then(|r| r.presence(channel)) {
                    let people = online(&presence);
                    self.typing.try_update_value(|t| t.set_present(&people));
                    self.online.try_set(people);
                }
                for key in change.leaves.keys() {
                    if let Ok(id) = Uuid::parse_str(key) {
                        self.typing.try_update_value(|t| t.clear(id));
                    }
                }
                self.refresh_typing();
            }
            _ => {}
        }
    }

    fn on_chat_event(self, event: ChatEvent) {
        match event {
            ChatEvent::MessageCreated(message) => {
                self.typing.try_update_value(|t| t.clear(message.author.id));
                self.refresh_typing();
                self.remember_authors(std::slice::from_ref(&message));
                self.timeline.try_update(|t| {
                    t.merge(message);
                });
                // A jump in seq means a missed frame: the timeline asks
                // for the hole.
                self.pump();
            }
            ChatEvent::MessageUpdated(message) | ChatEvent::MessageDeleted(message) => {
                // Changes to messages not loaded (older history) are
                // picked up when that history is fetched.
                let held = self
                    .timeline
                    .try_with_untracked(|t| {
                        t.get(message.seq).is_some()
                            || t.newest_seq().is_some_and(|n| message.seq > n)
                    })
                    .unwrap_or(false);
                if held {
                    self.timeline.try_update(|t| {
                        t.merge(message);
                    });
                    self.pump();
                }
            }
            ChatEvent::ReadUpdated(state) => {
                if state.account_id == self.me {
                    self.ctx
                        .read_mark
                        .set(Some((self.session_id, state.last_read_seq)));
                }
                self.readers
                    .try_update(|readers| apply_read(readers, reader(&state)));
            }
            ChatEvent::SessionUpdated(session) => {
                self.session.try_update(|held| {
                    let read = held.as_ref().and_then(|h| h.last_read_seq);
                    let mut next = session;
                    next.last_read_seq = read;
                    *held = Some(next);
                });
            }
        }
    }

    /// Publishes the names of those typing, and schedules the next expiry.
    fn refresh_typing(self) {
        let now = Millis::now();
        let Some((names, next)) = self.typing.try_update_value(|t| {
            t.prune(now);
            let names: Vec<String> = t.names(now).into_iter().map(str::to_owned).collect();
            (names, t.next_expiry())
        }) else {
            return;
        };
        if self.typing_names.try_get_untracked().as_ref() != Some(&names) {
            self.typing_names.try_set(names);
        }
        if let Some(next) = next {
            let wait = next.since(now) + Duration::from_millis(50);
            set_timeout(move || self.refresh_typing(), wait);
        }
    }

    // ----- typing out ----------------------------------------------------

    /// The composer's text changed.
    pub fn typing_input(self, empty: bool) {
        let now = Millis::now();
        let decision = self.throttle.try_update_value(|t| {
            if empty {
                t.on_idle(now, true)
            } else {
                t.on_input(now)
            }
        });
        if let Some(Some(typing)) = decision {
            self.broadcast_typing(typing);
        }
        if let Some(Some(deadline)) = self.throttle.try_with_value(TypingThrottle::idle_deadline) {
            set_timeout(
                move || {
                    if let Some(Some(false)) = self
                        .throttle
                        .try_update_value(|t| t.on_idle(Millis::now(), false))
                    {
                        self.broadcast_typing(false);
                    }
                },
                deadline.since(now) + Duration::from_millis(20),
            );
        }
    }

    fn stop_typing(self) {
        if let Some(Some(false)) = self
            .throttle
            .try_update_value(|t| t.on_idle(Millis::now(), true))
        {
            self.broadcast_typing(false);
        }
    }

    fn broadcast_typing(self, typing: bool) {
        let Some(channel) = self.typing_channel() else {
            return;
        };
        let payload = Typing {
            account_id: self.me,
            typing,
        };
        if let Some(realtime) = self.realtime() {
            realtime.broadcast(channel, TYPING_EVENT, json!(payload));
        }
    }

    // ----- sending -------------------------------------------------------

    /// Sends a text message (shown at once, confirmed later).
    pub fn send_text(self, text: String) {
        let mut message = NewMessage::text(text);
        if let Some(reply) = self.reply_to.get_untracked() {
            message = message.replying_to(reply.id);
            self.reply_to.set(None);
        }
        self.send(message);
    }

    /// Sends any new message.
    pub fn send(self, message: NewMessage) {
        self.stop_typing();
        self.pending_since.update(|p| {
            p.insert(message.client_id, now_ms());
        });
        self.timeline.update(|t| t.push_pending(message.clone()));
        self.deliver(message);
    }

    fn deliver(self, message: NewMessage) {
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            let client_id = message.client_id;
            match chat.send_message(self.session_id, &message).await {
                Ok(stored) => {
                    self.transient.try_update_value(|t| t.remove(&client_id));
                    let seq = stored.seq;
                    self.timeline.try_update(|t| {
                        t.confirm(stored);
                    });
                    // The server marked it read for the sender.
                    self.last_marked.try_update_value(|m| *m = (*m).max(seq));
                    self.ctx.read_mark.set(Some((self.session_id, seq)));
                    self.pump();
                }
                Err(error) => {
                    if error.is_transient() {
                        self.transient.try_update_value(|t| t.insert(client_id));
                    }
                    if matches!(error, RpcError::Unauthenticated(_)) {
                        // The session ended: keep the words for after the
                        // next sign-in.
                        self.keep_as_draft(&message);
                    }
                    let reason = error.to_string();
                    self.timeline
                        .try_update(|t| t.mark_failed(client_id, reason));
                }
            }
        });
    }

    fn keep_as_draft(self, message: &NewMessage) {
        let Some(body) = message.body.as_deref().filter(|b| !b.trim().is_empty()) else {
            return;
        };
        if message.kind != MessageKind::Text {
            return;
        }
        let draft = local::load_draft(self.me, self.session_id);
        let text = if draft.trim().is_empty() {
            body.to_owned()
        } else {
            format!("{body}\n{draft}")
        };
        local::save_draft(self.me, self.session_id, &text);
    }

    /// Sends a failed message again, with the same client id.
    pub fn retry(self, client_id: Uuid) {
        if let Some(Some(message)) = self.timeline.try_update(|t| t.retry(client_id)) {
            self.deliver(message);
        }
    }

    /// Drops a failed message.
    pub fn discard(self, client_id: Uuid) {
        self.timeline.update(|t| t.discard(client_id));
        self.transient.update_value(|t| {
            t.remove(&client_id);
        });
    }

    /// After a reconnect, sends again what failed for want of a network.
    fn retry_transient(self) {
        let ids: Vec<Uuid> = self
            .transient
            .try_with_value(|t| t.iter().copied().collect())
            .unwrap_or_default();
        for id in ids {
            let failed = self
                .timeline
                .try_with_untracked(|t| {
                    t.pending().iter().any(|p| {
                        p.message.client_id == id
                            && matches!(p.state, crate::chat::timeline::SendState::Failed(_))
                    })
                })
                .unwrap_or(false);
            if failed {
                self.retry(id);
            }
        }
    }

    // ----- actions on messages --------------------------------------------

    fn act(self, call: impl std::future::Future<Output = Result<Message, RpcError>> + 'static) {
        spawn_local(async move {
            match call.await {
                Ok(message) => {
                    self.action_error.try_set(None);
                    self.timeline.try_update(|t| {
                        t.merge(message);
                    });
                }
                Err(e) => self.report(&e),
            }
        });
    }

    /// Adds or removes the user's reaction.
    pub fn toggle_reaction(self, message: Uuid, emoji: String) {
        let Some(chat) = self.chat() else { return };
        self.act(async move { chat.toggle_reaction(message, &emoji).await });
    }

    /// Replaces a message's text.
    pub fn edit(self, message: Uuid, body: String) {
        let Some(chat) = self.chat() else { return };
        self.act(async move { chat.edit_message(message, &body).await });
    }

    /// Deletes a message for everyone.
    pub fn delete(self, message: Uuid) {
        let Some(chat) = self.chat() else { return };
        self.act(async move { chat.delete_message(message).await });
    }

    /// Renames the session.
    pub fn rename(self, title: String) {
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            match chat
                .update_session(self.session_id, Some(&title), None)
                .await
            {
                Ok(session) => self.take_session(session),
                Err(e) => self.report(&e),
            }
        });
    }

    /// Archives the session, or restores it.
    pub fn set_archived(self, archived: bool) {
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            match chat.archive_session(self.session_id, archived).await {
                Ok(session) => self.take_session(session),
                Err(e) => self.report(&e),
            }
        });
    }

    fn take_session(self, session: Session) {
        self.action_error.try_set(None);
        self.session.try_update(|held| {
            let read = held.as_ref().and_then(|h| h.last_read_seq);
            let mut next = session;
            next.last_read_seq = next.last_read_seq.or(read);
            *held = Some(next);
        });
    }

    fn report(self, error: &RpcError) {
        self.action_error.try_set(Some(crate::i18n::fill(
            crate::i18n::texts().error_with,
            &[("error", &error.to_string())],
        )));
    }

    // ----- reading ----------------------------------------------------------

    /// The user has seen everything up to `seq`: tell the server (once per
    /// position) and the navigation.
    pub fn mark_read(self, seq: i64) {
        let Some(previous) = self.last_marked.try_get_value() else {
            return;
        };
        if seq <= previous {
            return;
        }
        self.last_marked.set_value(seq);
        self.ctx.read_mark.set(Some((self.session_id, seq)));
        let Some(chat) = self.chat() else { return };
        spawn_local(async move {
            if let Ok(state) = chat.mark_read(self.session_id, seq).await {
                self.readers
                    .try_update(|readers| apply_read(readers, reader(&state)));
            }
        });
    }
}

fn reader(state: &ReadState) -> Reader {
    Reader {
        account: state.account_id,
        name: state.display_name.clone(),
        last_read_seq: state.last_read_seq,
    }
}
