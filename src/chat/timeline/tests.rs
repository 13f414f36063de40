//! Timeline merging: out of order, duplicates, gaps, optimistic sends,
//! edits, deletes, catching up after a rejoin.

use super::*;
use crate::chat::types::tests::{message, uuid};

fn seqs(t: &Timeline) -> Vec<i64> {
    t.messages().map(|m| m.seq).collect()
}

fn msg(seq: i64) -> Message {
    message(seq, uuid(10_000 + seq as u128), &format!("m{seq}"))
}

fn page(range: std::ops::RangeInclusive<i64>) -> Vec<Message> {
    range.map(msg).collect()
}

/// A timeline whose first page (`first..=last`) has arrived.
fn loaded(first: i64, last: i64, page_size: u32) -> Timeline {
    let mut t = Timeline::new(uuid(1), page_size);
    assert_eq!(t.begin_fetch(), Some(MessageRange::Newest));
    t.apply_page(MessageRange::Newest, page(first..=last));
    t
}

#[test]
fn merges_out_of_order_and_drops_duplicates() {
    let mut t = loaded(1, 3, 50);
    for seq in [6, 4, 5, 4, 6] {
        t.merge(msg(seq));
    }
    assert_eq!(seqs(&t), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(t.merge(msg(5)), Merge::Unchanged);
    // Pages overlapping what is held change nothing.
    t.apply_page(MessageRange::After(2), page(3..=6));
    assert_eq!(seqs(&t), vec![1, 2, 3, 4, 5, 6]);
    let mut other = msg(7);
    other.session_id = uuid(99);
    assert_eq!(t.merge(other), Merge::Foreign);
    assert_eq!(t.newest_seq(), Some(6));
}

#[test]
fn a_gap_is_noticed_and_filled() {
    let mut t = loaded(1, 3, 50);
    assert_eq!(t.next_fetch(), None);
    t.merge(msg(6)); // 4 and 5 were missed
    assert_eq!(t.holes(), vec![(3, 6)]);
    let fill = t.begin_fetch().unwrap();
    assert_eq!(
        fill,
        MessageRange::Between {
            after: 3,
            before: 6
        }
    );
    assert_eq!(t.begin_fetch(), None, "one fetch at a time");
    t.merge(msg(7)); // still arriving meanwhile
    t.apply_page(fill, page(4..=5));
    assert_eq!(seqs(&t), vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(t.next_fetch(), None);
}

#[test]
fn an_unfillable_gap_is_not_asked_for_forever() {
    let mut t = loaded(1, 3, 50);
    t.merge(msg(5));
    let fill = t.begin_fetch().unwrap();
    t.apply_page(fill, vec![]);
    assert_eq!(t.next_fetch(), None);
}

#[test]
fn a_failed_fetch_is_offered_again() {
    let mut t = loaded(1, 3, 50);
    t.merge(msg(5));
    let fill = t.begin_fetch().unwrap();
    t.fetch_failed(fill);
    assert_eq!(t.begin_fetch(), Some(fill));
}

#[test]
fn after_a_rejoin_everything_after_the_newest_is_fetched_page_by_page() {
    let mut t = loaded(1, 3, 2);
    t.on_rejoined();
    assert_eq!(t.begin_fetch(), Some(MessageRange::After(3)));
    // A full page: there may be more.
    t.apply_page(MessageRange::After(3), page(4..=5));
    assert_eq!(t.begin_fetch(), Some(MessageRange::After(5)));
    // A short page: caught up.
    t.apply_page(MessageRange::After(5), page(6..=6));
    assert_eq!(t.next_fetch(), None);
    assert_eq!(seqs(&t), vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn the_first_join_waits_for_the_newest_page() {
    let mut t = Timeline::new(uuid(1), 50);
    t.on_rejoined();
    assert_eq!(t.next_fetch(), Some(MessageRange::Newest));
    // Realtime may deliver before the first page arrives.
    t.merge(msg(9));
    assert_eq!(t.begin_fetch(), Some(MessageRange::Newest));
    t.apply_page(MessageRange::Newest, page(1..=8));
    assert_eq!(seqs(&t), (1..=9).collect::<Vec<_>>());
    assert_eq!(t.next_fetch(), None);
}

#[test]
fn older_pages_until_the_start() {
    let mut t = loaded(51, 100, 50);
    assert!(!t.reached_start());
    assert_eq!(t.next_fetch(), None);
    t.request_older();
    assert_eq!(t.begin_fetch(), Some(MessageRange::Before(51)));
    t.apply_page(MessageRange::Before(51), page(1..=50));
    assert!(t.reached_start());
    t.request_older();
    assert_eq!(t.next_fetch(), None);
    // A short newest page means the whole history is held.
    let t = loaded(3, 4, 50);
    assert!(t.reached_start());
}

#[test]
fn optimistic_send_is_replaced_by_the_stored_message() {
    let mut t = loaded(1, 2, 50);
    let draft = NewMessage::text("hello");
    t.push_pending(draft.clone());
    let kinds: Vec<_> = t
        .entries()
        .map(|e| matches!(e, Entry::Pending(_)))
        .collect();
    assert_eq!(kinds, vec![false, false, true], "pending after stored");
    // Realtime delivers it before the send's answer.
    let stored = message(3, draft.client_id, "hello");
    assert_eq!(t.merge(stored.clone()), Merge::Inserted);
    assert!(t.pending().is_empty());
    // The answer then changes nothing.
    assert_eq!(t.confirm(stored), Merge::Unchanged);
    assert_eq!(seqs(&t), vec![1, 2, 3]);
    // Re-adding a confirmed draft (a double click) shows nothing new.
    t.push_pending(draft);
    assert!(t.pending().is_empty());
}

#[test]
fn failed_sends_stay_for_retry_with_the_same_client_id() {
    let mut t = loaded(1, 1, 50);
    let a = NewMessage::text("a");
    let b = NewMessage::text("b");
    t.push_pending(a.clone());
    t.push_pending(b.clone());
    t.mark_failed(a.client_id, "network error");
    assert_eq!(
        t.pending()[0].state,
        SendState::Failed("network error".into())
    );
    assert_eq!(t.pending()[1].state, SendState::Sending);
    let again = t.retry(a.client_id).unwrap();
    assert_eq!(again.client_id, a.client_id);
    assert_eq!(t.pending()[0].state, SendState::Sending);
    t.confirm(message(2, b.client_id, "b"));
    assert_eq!(t.pending().len(), 1);
    t.discard(a.client_id);
    assert!(t.pending().is_empty());
    assert_eq!(t.retry(a.client_id), None);
}

#[test]
fn edits_replace_and_stale_versions_are_dropped() {
    let mut t = loaded(1, 3, 50);
    let mut edited = msg(2);
    edited.body = Some("edited".into());
    edited.edited_at = Some("2026-01-31T12:05:00+00:00".into());
    assert_eq!(t.merge(edited.clone()), Merge::Updated);
    // A page fetched before the edit arrives late: ignored.
    t.apply_page(
        MessageRange::Between {
            after: 0,
            before: 4,
        },
        page(1..=3),
    );
    assert_eq!(t.get(2).unwrap().body.as_deref(), Some("edited"));
    // A later edit wins; an earlier one does not.
    let mut later = edited.clone();
    later.body = Some("again".into());
    later.edited_at = Some("2026-01-31T12:06:00.5+00:00".into());
    assert_eq!(t.merge(later), Merge::Updated);
    assert_eq!(t.merge(edited), Merge::Unchanged);
    assert_eq!(t.get(2).unwrap().body.as_deref(), Some("again"));
    // Reaction changes carry no new edit time but do replace.
    let mut reacted = t.get(2).unwrap().clone();
    reacted.reactions.clear();
    assert_eq!(t.merge(reacted), Merge::Updated);
    assert!(t.get(2).unwrap().reactions.is_empty());
}

#[test]
fn deletes_are_final() {
    let mut t = loaded(1, 3, 50);
    let mut deleted = msg(3);
    deleted.body = None;
    deleted.reactions.clear();
    deleted.deleted_at = Some("2026-01-31T13:00:00+00:00".into());
    assert_eq!(t.merge(deleted), Merge::Updated);
    assert_eq!(
        t.merge(msg(3)),
        Merge::Unchanged,
        "an old copy does not undelete"
    );
    let held = t.get(3).unwrap();
    assert!(held.is_deleted() && held.body.is_none());
    assert_eq!(seqs(&t), vec![1, 2, 3], "deleted messages keep their place");
}
