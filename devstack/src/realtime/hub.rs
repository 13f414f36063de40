//! The fan-out hub: which joined channel instances listen on which topic
//! group, presence per group, and delivery into each socket's bounded send
//! queue. Every operation is short and synchronous, so no lock is held
//! across an await; a full queue disconnects that socket instead of
//! stalling the sender.

use super::frame::{encode_text, encode_user_broadcast, Outbound, UserBroadcast, Vsn};
use super::presence::{Diff, OwnerId, PresenceSet};
use axum::extract::ws::Message;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, Notify};

/// A topic group: private and public channels of the same name are
/// separate groups, as in Supabase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKey {
    /// Whether this is the private (RLS-authorized) group.
    pub private: bool,
    /// Sub-topic without the `realtime:` prefix.
    pub name: String,
}

impl GroupKey {
    /// The channel topic clients joined (`realtime:<name>`).
    pub fn topic(&self) -> String {
        format!("{}{}", super::join::TOPIC_PREFIX, self.name)
    }
}

/// One socket as the hub sees it: its serializer and its send queue.
#[derive(Debug)]
pub struct ConnLink {
    /// Serializer negotiated at connect.
    pub vsn: Vsn,
    tx: mpsc::Sender<Message>,
    dead: AtomicBool,
    kill: Notify,
}

impl ConnLink {
    /// A link feeding `tx`.
    pub fn new(vsn: Vsn, tx: mpsc::Sender<Message>) -> ConnLink {
        ConnLink {
            vsn,
            tx,
            dead: AtomicBool::new(false),
            kill: Notify::new(),
        }
    }

    /// Queues a frame without waiting. A full queue means the client reads
    /// slower than it is sent to: the socket is marked for disconnection.
    pub fn send(&self, frame: Message) {
        if self.dead.load(Ordering::Relaxed) {
            return;
        }
        match self.tx.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.disconnect(),
            Err(mpsc::error::TrySendError::Closed(_)) => self.dead.store(true, Ordering::Relaxed),
        }
    }

    /// Queues a frame, waiting for room (for the final close frame).
    pub async fn send_wait(&self, frame: Message) {
        let _ = self.tx.send(frame).await;
    }

    /// Queues a JSON frame encoded for this socket.
    pub fn send_json(&self, msg: &Outbound) {
        self.send(Message::Text(encode_text(self.vsn, msg).into()));
    }

    /// Marks the socket for disconnection and wakes its task.
    pub fn disconnect(&self) {
        self.dead.store(true, Ordering::Relaxed);
        self.kill.notify_one();
    }

    /// Whether the socket has been marked for disconnection.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// Resolves once the socket is marked for disconnection.
    pub async fn killed(&self) {
        if self.is_dead() {
            return;
        }
        self.kill.notified().await;
    }
}

/// A joined channel instance in a group.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its socket.
    pub conn: Arc<ConnLink>,
    /// Receives broadcasts (always on public channels; RLS read on private).
    pub broadcast_read: bool,
    /// Receives presence diffs (always on public channels).
    pub presence_read: bool,
}

#[derive(Debug, Default)]
struct Group {
    members: HashMap<OwnerId, Member>,
    presence: PresenceSet,
}

/// What a broadcast carries.
#[derive(Debug, Clone)]
pub enum Broadcast {
    /// A JSON broadcast payload (`{"type":"broadcast","event":…,"payload":…}`).
    Json(Value),
    /// A user broadcast (binary kind 3 from clients, or the database).
    User(UserBroadcast),
}

/// Frames encoded once per serializer for one fan-out.
struct EncodeCache<'a> {
    topic: &'a str,
    v1: Option<Option<Message>>,
    v2: Option<Option<Message>>,
}

impl EncodeCache<'_> {
    fn frame(
        &mut self,
        vsn: Vsn,
        make: impl FnOnce(Vsn, &str) -> Option<Message>,
    ) -> Option<Message> {
        let slot = match vsn {
            Vsn::V1 => &mut self.v1,
            Vsn::V2 => &mut self.v2,
        };
        slot.get_or_insert_with(|| make(vsn, self.topic)).clone()
    }
}

fn encode_broadcast(msg: &Broadcast, vsn: Vsn, topic: &str) -> Option<Message> {
    match (msg, vsn) {
        (Broadcast::Json(payload), _) => {
            let out = Outbound::push(None, topic, "broadcast", payload.clone());
            Some(Message::Text(encode_text(vsn, &out).into()))
        }
        // 2.0.0 clients get the kind-4 frame, the only binary one they decode.
        (Broadcast::User(ub), Vsn::V2) => encode_user_broadcast(topic, ub)
            .ok()
            .map(|b| Message::Binary(b.into())),
        // 1.0.0 clients cannot receive binary payloads at all.
        (Broadcast::User(ub), Vsn::V1) => ub.to_json_payload().map(|p| {
            let out = Outbound::push(None, topic, "broadcast", p);
            Message::Text(encode_text(vsn, &out).into())
        }),
    }
}

/// All topic groups of one Realtime server.
#[derive(Debug, Default)]
pub struct Hub {
    groups: RwLock<HashMap<GroupKey, Group>>,
}

impl Hub {
    /// Adds (or replaces) a member of a group.
    pub fn subscribe(&self, key: &GroupKey, owner: OwnerId, member: Member) {
        let mut groups = self.groups.write().expect("hub lock");
        groups
            .entry(key.clone())
            .or_default()
            .members
            .insert(owner, member);
    }

    /// Changes a member's read permissions (after re-authorization).
    pub fn set_reads(
        &self,
        key: &GroupKey,
        owner: OwnerId,
        broadcast_read: bool,
        presence_read: bool,
    ) {
        let mut groups = self.groups.write().expect("hub lock");
        if let Some(m) = groups.get_mut(key).and_then(|g| g.members.get_mut(&owner)) {
            m.broadcast_read = broadcast_read;
            m.presence_read = presence_read;
        }
    }

    /// Removes a member, untracking its presence (the leave reaches the
    /// others).
    pub fn unsubscribe(&self, key: &GroupKey, owner: OwnerId) {
        let mut groups = self.groups.write().expect("hub lock");
        let Some(group) = groups.get_mut(key) else {
            return;
        };
        group.members.remove(&owner);
        if let Some(diff) = group.presence.untrack(owner) {
            fan_out_diff(key, group, &diff);
        }
        if group.members.is_empty() && group.presence.is_empty() {
            groups.remove(key);
        }
    }

    /// Delivers a broadcast to the group's members allowed to read it,
    /// skipping `except` (the sender, unless it asked for `self`). Returns
    /// how many sockets it was queued for.
    pub fn broadcast(&self, key: &GroupKey, msg: &Broadcast, except: Option<OwnerId>) -> usize {
        let groups = self.groups.read().expect("hub lock");
        let Some(group) = groups.get(key) else {
            return 0;
        };
        let topic = key.topic();
        let mut cache = EncodeCache {
            topic: &topic,
            v1: None,
            v2: None,
        };
        let mut sent = 0;
        for (owner, m) in &group.members {
            if Some(*owner) == except || !m.broadcast_read {
                continue;
            }
            if let Some(frame) = cache.frame(m.conn.vsn, |v, t| encode_broadcast(msg, v, t)) {
                m.conn.send(frame);
                sent += 1;
            }
        }
        sent
    }

    /// Tracks presence state for `owner` under `key_name`; fans out the
    /// diff (the tracker included). Returns whether anything changed.
    pub fn track(
        &self,
        key: &GroupKey,
        owner: OwnerId,
        presence_key: &str,
        state: Map<String, Value>,
    ) -> bool {
        let mut groups = self.groups.write().expect("hub lock");
        let group = groups.entry(key.clone()).or_default();
        match group.presence.track(owner, presence_key, state) {
            Some(diff) => {
                fan_out_diff(key, group, &diff);
                true
            }
            None => false,
        }
    }

    /// Untracks `owner`'s presence and fans out the leave.
    pub fn untrack(&self, key: &GroupKey, owner: OwnerId) {
        let mut groups = self.groups.write().expect("hub lock");
        if let Some(group) = groups.get_mut(key) {
            if let Some(diff) = group.presence.untrack(owner) {
                fan_out_diff(key, group, &diff);
            }
        }
    }

    /// The group's `presence_state` payload.
    pub fn presence_state(&self, key: &GroupKey) -> Value {
        let groups = self.groups.read().expect("hub lock");
        groups
            .get(key)
            .map_or_else(|| Value::Object(Map::new()), |g| g.presence.state())
    }

    /// Number of members of a group (for tests and figures).
    pub fn member_count(&self, key: &GroupKey) -> usize {
        let groups = self.groups.read().expect("hub lock");
        groups.get(key).map_or(0, |g| g.members.len())
    }
}

fn fan_out_diff(key: &GroupKey, group: &Group, diff: &Diff) {
    let out = Outbound::push(None, &key.topic(), "presence_diff", diff.to_json());
    let (mut v1, mut v2) = (None, None);
    for m in group.members.values() {
        if !m.presence_read {
            continue;
        }
        let slot = match m.conn.vsn {
            Vsn::V1 => &mut v1,
            Vsn::V2 => &mut v2,
        };
        let frame = slot
            .get_or_insert_with(|| Message::Text(encode_text(m.conn.vsn, &out).into()))
            .clone();
        m.conn.send(frame);
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::Encoding;
    use super::*;
    use serde_json::json;

    fn member(vsn: Vsn, cap: usize) -> (Member, mpsc::Receiver<Message>) {
        let (tx, rx) = mpsc::channel(cap);
        let m = Member {
            conn: Arc::new(ConnLink::new(vsn, tx)),
            broadcast_read: true,
            presence_read: true,
        };
        (m, rx)
    }

    fn text(m: Message) -> Value {
        match m {
            Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn broadcast_reaches_readers_but_not_the_sender_or_other_groups() {
        let hub = Hub::default();
        let public = GroupKey {
            private: false,
            name: "room".into(),
        };
        let private = GroupKey {
            private: true,
            name: "room".into(),
        };
        let (a, mut ra) = member(Vsn::V1, 8);
        let (b, mut rb) = member(Vsn::V2, 8);
        let (mut c, mut rc) = member(Vsn::V2, 8);
        let (d, mut rd) = member(Vsn::V2, 8);
        c.broadcast_read = false;
        hub.subscribe(&public, 1, a);
        hub.subscribe(&public, 2, b);
        hub.subscribe(&public, 3, c);
        hub.subscribe(&private, 4, d);
        let msg = Broadcast::Json(json!({"type":"broadcast","event":"e","payload":{"n":1}}));
        assert_eq!(hub.broadcast(&public, &msg, Some(1)), 1);
        assert!(ra.try_recv().is_err());
        assert_eq!(text(rb.try_recv().unwrap())[3], "broadcast");
        assert!(rc.try_recv().is_err());
        assert!(rd.try_recv().is_err());
    }

    #[test]
    fn user_broadcasts_are_binary_for_v2_and_json_for_v1() {
        let hub = Hub::default();
        let key = GroupKey {
            private: false,
            name: "t".into(),
        };
        let (a, mut ra) = member(Vsn::V1, 8);
        let (b, mut rb) = member(Vsn::V2, 8);
        hub.subscribe(&key, 1, a);
        hub.subscribe(&key, 2, b);
        let ub = UserBroadcast {
            event: "e".into(),
            encoding: Encoding::Json,
            payload: br#"{"x":1}"#.to_vec(),
            metadata: None,
        };
        hub.broadcast(&key, &Broadcast::User(ub.clone()), None);
        let v1 = text(ra.try_recv().unwrap());
        assert_eq!(
            v1["payload"],
            json!({"type":"broadcast","event":"e","payload":{"x":1}})
        );
        assert!(matches!(rb.try_recv().unwrap(), Message::Binary(b) if b[0] == 4));
        // Binary payloads cannot reach 1.0.0 sockets.
        let bin = UserBroadcast {
            encoding: Encoding::Binary,
            ..ub
        };
        assert_eq!(hub.broadcast(&key, &Broadcast::User(bin), None), 1);
        assert!(ra.try_recv().is_err());
    }

    #[test]
    fn a_full_queue_disconnects_only_that_socket() {
        let hub = Hub::default();
        let key = GroupKey {
            private: false,
            name: "t".into(),
        };
        let (slow, _keep) = member(Vsn::V2, 1);
        let slow_link = slow.conn.clone();
        let (fast, mut rf) = member(Vsn::V2, 16);
        hub.subscribe(&key, 1, slow);
        hub.subscribe(&key, 2, fast);
        let msg = Broadcast::Json(json!({}));
        for _ in 0..3 {
            hub.broadcast(&key, &msg, None);
        }
        assert!(slow_link.is_dead());
        let mut got = 0;
        while rf.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, 3);
    }

    #[test]
    fn presence_diffs_include_the_tracker_and_leaves_on_unsubscribe() {
        let hub = Hub::default();
        let key = GroupKey {
            private: false,
            name: "p".into(),
        };
        let (a, mut ra) = member(Vsn::V2, 8);
        let (b, mut rb) = member(Vsn::V1, 8);
        hub.subscribe(&key, 1, a);
        hub.subscribe(&key, 2, b);
        assert!(hub.track(
            &key,
            1,
            "alice",
            json!({"s":1}).as_object().unwrap().clone()
        ));
        let d = text(ra.try_recv().unwrap());
        assert_eq!(d[3], "presence_diff");
        assert!(d[4]["joins"]["alice"].is_object());
        let d = text(rb.try_recv().unwrap());
        assert_eq!(d["event"], "presence_diff");
        assert!(hub.presence_state(&key)["alice"].is_object());
        hub.unsubscribe(&key, 1);
        let d = text(rb.try_recv().unwrap());
        assert!(d["payload"]["leaves"]["alice"].is_object());
        assert_eq!(hub.presence_state(&key), json!({}));
    }
}
