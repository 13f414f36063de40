//! One session's messages as the user sees them, merged from history pages,
//! realtime events and the user's own sends.
//!
//! The store is pure: it never fetches. It says what it needs next
//! ([`Timeline::begin_fetch`]) and takes the answer ([`Timeline::apply_page`]).
//! Because the server numbers each session's messages 1, 2, 3… without gaps
//! in commit order, `seq` alone says what is missing:
//!
//! - a realtime message more than one past the newest held opens a hole,
//!   filled with a `Between` fetch;
//! - after every (re)join, [`Timeline::on_rejoined`] asks for everything
//!   after the newest held (`After`), page by page until a short page;
//! - scrolling up asks for the page `Before` the oldest held.
//!
//! Sends appear at once as pending entries keyed by `client_id`; the stored
//! message (from the send's answer or from realtime, whichever comes first)
//! replaces it. A failed send stays, marked failed, until retried with the
//! same `client_id` (so the server cannot store it twice) or discarded.
//!
//! ```
//! use workflow_chat::chat::api::{MessageRange, NewMessage};
//! use workflow_chat::chat::timeline::Timeline;
//! use uuid::Uuid;
//!
//! let mut timeline = Timeline::new(Uuid::nil(), 50);
//! assert_eq!(timeline.begin_fetch(), Some(MessageRange::Newest));
//! timeline.apply_page(MessageRange::Newest, vec![]); // an empty session
//! let draft = NewMessage::text("Hello");
//! timeline.push_pending(draft.clone());
//! assert_eq!(timeline.pending().len(), 1);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::api::{MessageRange, NewMessage};
use super::types::Message;

/// State of a send not yet confirmed by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendState {
    /// In flight.
    Sending,
    /// Failed; shown with a retry button.
    Failed(String),
}

/// A message the user sent that the server has not confirmed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMessage {
    /// What was sent (its `client_id` identifies it).
    pub message: NewMessage,
    /// Where it stands.
    pub state: SendState,
}

/// What merging one message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// A message not held before.
    Inserted,
    /// A newer version of a held message.
    Updated,
    /// Already held as is, or an older version (dropped).
    Unchanged,
    /// Belongs to another session (dropped).
    Foreign,
}

/// One line of the timeline, in display order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Entry<'a> {
    /// A stored message.
    Message(&'a Message),
    /// A send waiting for confirmation or retry.
    Pending(&'a PendingMessage),
}

/// The timeline of one session; see the module documentation.
#[derive(Clone, Debug)]
pub struct Timeline {
    session_id: Uuid,
    page_size: u32,
    messages: BTreeMap<i64, Message>,
    pending: Vec<PendingMessage>,
    loaded: bool,
    reached_start: bool,
    catch_up: bool,
    want_older: bool,
    in_flight: Option<MessageRange>,
    unfillable: BTreeSet<(i64, i64)>,
}

impl Timeline {
    /// An empty timeline fetching `page_size` messages per page.
    pub fn new(session_id: Uuid, page_size: u32) -> Self {
        Self {
            session_id,
            page_size: page_size.max(1),
            messages: BTreeMap::new(),
            pending: Vec::new(),
            loaded: false,
            reached_start: false,
            catch_up: false,
            want_older: false,
            in_flight: None,
            unfillable: BTreeSet::new(),
        }
    }

    /// The session.
    pub fn session_id(&self) -> Uuid {
        self.session_id
    }

    /// Page size to pass with fetches.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    // ----- reading ----------------------------------------------------------

    /// Stored messages in `seq` order, then pending sends in the order made.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.messages
            .values()
            .map(Entry::Message)
            .chain(self.pending.iter().map(Entry::Pending))
    }

    /// Stored messages in `seq` order.
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.values()
    }

    /// A stored message.
    pub fn get(&self, seq: i64) -> Option<&Message> {
        self.messages.get(&seq)
    }

    /// Sends not yet confirmed.
    pub fn pending(&self) -> &[PendingMessage] {
        &self.pending
    }

    /// Newest `seq` held.
    pub fn newest_seq(&self) -> Option<i64> {
        self.messages.keys().next_back().copied()
    }

    /// Oldest `seq` held.
    pub fn oldest_seq(&self) -> Option<i64> {
        self.messages.keys().next().copied()
    }

    /// Whether the first message of the session is held.
    pub fn reached_start(&self) -> bool {
        self.reached_start || self.oldest_seq() == Some(1)
    }

    /// Whether the first page has arrived.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Missing ranges between held messages, as `(after, before)` exclusive.
    pub fn holes(&self) -> Vec<(i64, i64)> {
        let seqs: Vec<i64> = self.messages.keys().copied().collect();
        seqs.windows(2)
            .filter(|w| w[1] - w[0] > 1)
            .map(|w| (w[0], w[1]))
            .collect()
    }

    // ----- fetching ------------------------------------------------------------

    /// What to fetch next, if anything (and not already fetching): first the
    /// newest page, then holes, then catching up after a rejoin, then older
    /// history the user scrolled to.
    pub fn next_fetch(&self) -> Option<MessageRange> {
        if self.in_flight.is_some() {
            return None;
        }
        if !self.loaded {
            return Some(MessageRange::Newest);
        }
        if let Some(&(after, before)) = self.holes().iter().find(|h| !self.unfillable.contains(h)) {
            return Some(MessageRange::Between { after, before });
        }
        if self.catch_up {
            return Some(match self.newest_seq() {
                Some(newest) => MessageRange::After(newest),
                None => MessageRange::Newest,
            });
        }
        if self.want_older && !self.reached_start() {
            if let Some(oldest) = self.oldest_seq() {
                return Some(MessageRange::Before(oldest));
            }
        }
        None
    }

    /// [`Timeline::next_fetch`], marked in flight until answered.
    pub fn begin_fetch(&mut self) -> Option<MessageRange> {
        let next = self.next_fetch();
        self.in_flight = next;
        next
    }

    /// The fetch failed; [`Timeline::next_fetch`] offers it again.
    pub fn fetch_failed(&mut self, range: MessageRange) {
        if self.in_flight == Some(range) {
            self.in_flight = None;
        }
    }

    /// Takes the answer to a fetch (messages in any order).
    pub fn apply_page(&mut self, range: MessageRange, page: Vec<Message>) {
        if self.in_flight == Some(range) {
            self.in_flight = None;
        }
        let full = page.len() >= self.page_size as usize;
        let mut merged_any = false;
        for message in page {
            merged_any |= matches!(self.merge(message), Merge::Inserted | Merge::Updated);
        }
        match range {
            MessageRange::Newest => {
                self.loaded = true;
                self.catch_up = false;
                self.reached_start |= !full;
            }
            MessageRange::Before(_) => {
                self.want_older = false;
                self.reached_start |= !full;
            }
            MessageRange::After(_) => self.catch_up = full,
            MessageRange::Between { after, before } => {
                // seq is gapless, so an empty answer means the hole cannot be
                // filled (messages purged); never ask for it again.
                if !merged_any {
                    self.unfillable.insert((after, before));
                }
            }
        }
    }

    /// The channel (re)joined: messages may have been missed meanwhile.
    pub fn on_rejoined(&mut self) {
        if self.loaded {
            self.catch_up = true;
        }
    }

    /// The user scrolled to the top: fetch the page before the oldest held.
    pub fn request_older(&mut self) {
        self.want_older = true;
    }

    // ----- merging --------------------------------------------------------------

    /// Adds or updates a stored message (from a page, an event or a send's
    /// answer). A held message is replaced only by a version at least as
    /// new: a deletion is final and an edit never goes back to an older one.
    pub fn merge(&mut self, message: Message) -> Merge {
        if message.session_id != self.session_id {
            return Merge::Foreign;
        }
        self.pending
            .retain(|p| p.message.client_id != message.client_id);
        match self.messages.get(&message.seq) {
            None => {
                self.messages.insert(message.seq, message);
                Merge::Inserted
            }
            Some(held) if *held == message => Merge::Unchanged,
            Some(held) if is_older(&message, held) => Merge::Unchanged,
            Some(_) => {
                self.messages.insert(message.seq, message);
                Merge::Updated
            }
        }
    }

    // ----- sending ----------------------------------------------------------------

    /// Shows a message being sent.
    pub fn push_pending(&mut self, message: NewMessage) {
        if self
            .messages
            .values()
            .any(|m| m.client_id == message.client_id)
        {
            return;
        }
        self.pending
            .retain(|p| p.message.client_id != message.client_id);
        self.pending.push(PendingMessage {
            message,
            state: SendState::Sending,
        });
    }

    /// The send's answer arrived: the stored message replaces the pending one.
    pub fn confirm(&mut self, message: Message) -> Merge {
        self.merge(message)
    }

    /// The send failed; the entry stays for a retry.
    pub fn mark_failed(&mut self, client_id: Uuid, reason: impl Into<String>) {
        if let Some(p) = self
            .pending
            .iter_mut()
            .find(|p| p.message.client_id == client_id)
        {
            p.state = SendState::Failed(reason.into());
        }
    }

    /// Marks a failed send as sending again and returns it to resend (with
    /// the same `client_id`).
    pub fn retry(&mut self, client_id: Uuid) -> Option<NewMessage> {
        let p = self
            .pending
            .iter_mut()
            .find(|p| p.message.client_id == client_id)?;
        p.state = SendState::Sending;
        Some(p.message.clone())
    }

    /// Drops a pending send.
    pub fn discard(&mut self, client_id: Uuid) {
        self.pending.retain(|p| p.message.client_id != client_id);
    }
}

/// Whether `incoming` is an older version of `held` (same seq).
fn is_older(incoming: &Message, held: &Message) -> bool {
    if held.deleted_at.is_some() && incoming.deleted_at.is_none() {
        return true;
    }
    // ISO-8601 timestamps from one server compare correctly as text.
    match (&incoming.edited_at, &held.edited_at) {
        (None, Some(_)) => incoming.deleted_at.is_none(),
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
