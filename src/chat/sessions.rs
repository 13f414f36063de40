//! A workflow's session list with the user's unread counts, fed by pages of
//! `wc_list_sessions` and by the events of the `workflow:<id>` topic.
//!
//! Realtime payloads are shared by all readers, so they carry no read
//! state: the store keeps each session's `last_read_seq` and derives
//! `unread = last_seq − last_read_seq`. A message the user sent counts as
//! read (the server marks it so), and so does everything in the session the
//! user has open.
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::chat::sessions::SessionList;
//!
//! let me = Uuid::from_u128(1);
//! let mut list = SessionList::new(Uuid::from_u128(2), me, 30);
//! list.apply_page(vec![]);
//! assert_eq!(list.total_unread(), 0);
//! assert!(list.reached_end());
//! ```

use std::collections::HashMap;

use uuid::Uuid;

use super::events::WorkflowEvent;
use super::types::{Session, Timestamp};

/// The session list of one workflow; see the module documentation.
#[derive(Clone, Debug)]
pub struct SessionList {
    workflow_id: Uuid,
    me: Uuid,
    page_size: u32,
    include_archived: bool,
    sessions: HashMap<Uuid, Session>,
    open: Option<Uuid>,
    reached_end: bool,
}

impl SessionList {
    /// An empty list of `workflow_id`'s sessions as seen by account `me`.
    pub fn new(workflow_id: Uuid, me: Uuid, page_size: u32) -> Self {
        Self {
            workflow_id,
            me,
            page_size: page_size.max(1),
            include_archived: false,
            sessions: HashMap::new(),
            open: None,
            reached_end: false,
        }
    }

    /// Shows archived sessions too (fetch pages with `include_archived`).
    pub fn with_archived(mut self, on: bool) -> Self {
        self.include_archived = on;
        self
    }

    /// Sessions, newest activity first.
    pub fn sorted(&self) -> Vec<&Session> {
        let mut list: Vec<&Session> = self.sessions.values().collect();
        list.sort_by(|a, b| {
            b.last_activity_at
                .cmp(&a.last_activity_at)
                .then(b.id.cmp(&a.id))
        });
        list
    }

    /// One session.
    pub fn get(&self, id: Uuid) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// Unread messages of one session.
    pub fn unread(&self, id: Uuid) -> i64 {
        self.sessions.get(&id).map_or(0, unread_of)
    }

    /// Unread messages of all sessions.
    pub fn total_unread(&self) -> i64 {
        self.sessions.values().map(unread_of).sum()
    }

    /// Whether every page has been fetched.
    pub fn reached_end(&self) -> bool {
        self.reached_end
    }

    /// Cursor for the next page: `(last_activity_at, id)` of the last one.
    pub fn next_page_cursor(&self) -> Option<(Timestamp, Uuid)> {
        self.sorted()
            .last()
            .map(|s| (s.last_activity_at.clone(), s.id))
    }

    /// Takes a page of `wc_list_sessions` (which carries read state).
    pub fn apply_page(&mut self, page: Vec<Session>) {
        self.reached_end |= page.len() < self.page_size as usize;
        for session in page {
            self.upsert(session, Source::Page);
        }
    }

    /// Takes an event of the workflow's topic.
    pub fn apply_event(&mut self, event: WorkflowEvent) {
        match event {
            WorkflowEvent::SessionCreated(s) | WorkflowEvent::SessionUpdated(s) => {
                self.upsert(s, Source::Event)
            }
        }
    }

    /// The user opened a session (or `None`): it counts as read while open.
    pub fn set_open(&mut self, id: Option<Uuid>) {
        self.open = id;
        if let Some(s) = id.and_then(|id| self.sessions.get_mut(&id)) {
            s.last_read_seq = Some(s.last_seq);
            s.unread_count = Some(0);
        }
    }

    /// The user's read position moved (answer of `wc_mark_read`, or a
    /// `read_updated` of their own from another tab). Never moves back.
    pub fn mark_read(&mut self, id: Uuid, seq: i64) {
        if let Some(s) = self.sessions.get_mut(&id) {
            let read = s.last_read_seq.unwrap_or(0).max(seq.min(s.last_seq));
            s.last_read_seq = Some(read);
            s.unread_count = Some((s.last_seq - read).max(0));
        }
    }

    fn upsert(&mut self, mut incoming: Session, source: Source) {
        if incoming.workflow_id != self.workflow_id {
            return;
        }
        if incoming.archived_at.is_some() && !self.include_archived {
            self.sessions.remove(&incoming.id);
            return;
        }
        let held = self.sessions.get(&incoming.id);
        // Events may overtake a page fetched earlier: never go back in seq.
        if held.is_some_and(|h| incoming.last_seq < h.last_seq) {
            return;
        }
        let mut read = match (incoming.last_read_seq, held.and_then(|h| h.last_read_seq)) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(0),
        };
        // A page's read state already counts the user's own sends; an
        // event has none, so the store applies the server's rule itself.
        let mine = source == Source::Event
            && incoming
                .last_message
                .as_ref()
                .is_some_and(|m| m.author_id == self.me && m.seq == incoming.last_seq);
        if mine || self.open == Some(incoming.id) {
            read = incoming.last_seq;
        }
        incoming.last_read_seq = Some(read);
        incoming.unread_count = Some((incoming.last_seq - read).max(0));
        self.sessions.insert(incoming.id, incoming);
    }
}

/// Where a session snapshot came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Page,
    Event,
}

fn unread_of(s: &Session) -> i64 {
    s.unread_count
        .unwrap_or_else(|| (s.last_seq - s.last_read_seq.unwrap_or(0)).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::types::tests::{session_json, uuid};

    fn session(id: u128, last_seq: i64, activity: &str) -> Session {
        serde_json::from_value(session_json(uuid(id), last_seq, activity)).unwrap()
    }

    /// As realtime sends it: no read state, last message by `author`.
    fn event(id: u128, last_seq: i64, activity: &str, author: Uuid) -> WorkflowEvent {
        let mut s = session(id, last_seq, activity);
        s.last_read_seq = None;
        s.unread_count = None;
        if let Some(m) = s.last_message.as_mut() {
            m.author_id = author;
        }
        WorkflowEvent::SessionUpdated(s)
    }

    fn me() -> Uuid {
        uuid(3)
    }

    fn other() -> Uuid {
        uuid(4)
    }

    fn list() -> SessionList {
        let mut l = SessionList::new(uuid(2), me(), 2);
        let mut a = session(10, 5, "2026-01-02T00:00:00+00:00");
        a.last_read_seq = Some(5);
        a.unread_count = Some(0);
        let mut b = session(11, 3, "2026-01-03T00:00:00+00:00");
        b.last_read_seq = Some(1);
        b.unread_count = Some(2);
        l.apply_page(vec![a, b]);
        l
    }

    fn order(l: &SessionList) -> Vec<Uuid> {
        l.sorted().iter().map(|s| s.id).collect()
    }

    #[test]
    fn pages_sort_by_activity_and_give_a_cursor() {
        let l = list();
        assert_eq!(order(&l), vec![uuid(11), uuid(10)]);
        assert_eq!(
            (l.unread(uuid(10)), l.unread(uuid(11)), l.total_unread()),
            (0, 2, 2)
        );
        assert!(!l.reached_end(), "a full page");
        assert_eq!(
            l.next_page_cursor(),
            Some(("2026-01-02T00:00:00+00:00".into(), uuid(10)))
        );
    }

    #[test]
    fn new_messages_of_others_raise_unread_and_reorder() {
        let mut l = list();
        l.apply_event(event(10, 7, "2026-01-04T00:00:00+00:00", other()));
        assert_eq!(l.unread(uuid(10)), 2);
        assert_eq!(order(&l), vec![uuid(10), uuid(11)]);
        assert_eq!(l.total_unread(), 4);
    }

    #[test]
    fn own_messages_and_the_open_session_count_as_read() {
        let mut l = list();
        l.apply_event(event(11, 4, "2026-01-04T00:00:00+00:00", me()));
        assert_eq!(l.unread(uuid(11)), 0);
        l.set_open(Some(uuid(10)));
        l.apply_event(event(10, 9, "2026-01-05T00:00:00+00:00", other()));
        assert_eq!(l.unread(uuid(10)), 0);
        l.set_open(None);
        l.apply_event(event(10, 10, "2026-01-06T00:00:00+00:00", other()));
        assert_eq!(l.unread(uuid(10)), 1);
    }

    #[test]
    fn mark_read_moves_forward_only() {
        let mut l = list();
        l.mark_read(uuid(11), 2);
        assert_eq!(l.unread(uuid(11)), 1);
        l.mark_read(uuid(11), 1);
        assert_eq!(l.unread(uuid(11)), 1);
        l.mark_read(uuid(11), 99);
        assert_eq!(l.unread(uuid(11)), 0);
        assert_eq!(l.get(uuid(11)).unwrap().last_read_seq, Some(3));
    }

    #[test]
    fn stale_events_archives_and_foreign_workflows() {
        let mut l = list();
        l.apply_event(event(10, 7, "2026-01-04T00:00:00+00:00", other()));
        l.apply_event(event(10, 6, "2026-01-03T12:00:00+00:00", other()));
        assert_eq!(
            l.get(uuid(10)).unwrap().last_seq,
            7,
            "an older copy is ignored"
        );
        let WorkflowEvent::SessionUpdated(mut archived) = event(11, 3, "t", other()) else {
            unreachable!()
        };
        archived.archived_at = Some("t".into());
        l.apply_event(WorkflowEvent::SessionUpdated(archived.clone()));
        assert_eq!(l.get(uuid(11)), None);
        let mut with_archived = SessionList::new(uuid(2), me(), 2).with_archived(true);
        with_archived.apply_event(WorkflowEvent::SessionUpdated(archived));
        assert!(with_archived.get(uuid(11)).is_some());
        let WorkflowEvent::SessionUpdated(mut foreign) = event(12, 1, "t", other()) else {
            unreachable!()
        };
        foreign.workflow_id = uuid(99);
        l.apply_event(WorkflowEvent::SessionCreated(foreign));
        assert_eq!(l.get(uuid(12)), None);
    }

    #[test]
    fn created_sessions_appear_with_nothing_unread() {
        let mut l = list();
        l.apply_event(WorkflowEvent::SessionCreated({
            let mut s = session(13, 0, "2026-02-01T00:00:00+00:00");
            s.last_read_seq = None;
            s.unread_count = None;
            s
        }));
        assert_eq!(order(&l)[0], uuid(13));
        assert_eq!(l.unread(uuid(13)), 0);
    }
}
