//! The rows of the message list, computed from the timeline: which entries
//! are in the rendered window, with day separators, the unread divider,
//! grouping, quotes and read receipts. Pure (the clock comes in as
//! functions), so it is tested natively.

use std::collections::HashMap;
use std::ops::Range;

use uuid::Uuid;

use crate::chat::timeline::{Entry, PendingMessage, Timeline};
use crate::chat::types::{Message, ReplyTo};
use crate::views::model::format::one_line;
use crate::views::model::grouping::{layout, ItemInfo, Row};
use crate::views::model::receipts::{place_receipts, Reader};

/// Longest quote preview, in characters (as the server's previews).
const QUOTE_CHARS: usize = 140;

/// A timeline entry as a row shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A stored message.
    Stored(Box<Message>),
    /// A send not confirmed yet.
    Pending(PendingMessage),
}

/// One message row.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRow {
    /// Stable key: the message's client id.
    pub key: Uuid,
    /// The entry.
    pub item: Item,
    /// When it was sent (or made, for a pending send).
    pub at_ms: i64,
    /// First of a group: shows name and avatar.
    pub group_start: bool,
    /// Last of a group.
    pub group_end: bool,
    /// The quoted message, for replies.
    pub quote: Option<ReplyTo>,
    /// Names of those whose read mark goes here.
    pub receipts: Vec<String>,
}

/// One row of the list.
#[derive(Clone, Debug, PartialEq)]
pub enum RowData {
    /// A day separator; `at_ms` is an instant of that day.
    Day {
        /// Local day number.
        day: i64,
        /// An instant on that day, to format it.
        at_ms: i64,
    },
    /// The "new messages" divider.
    Unread,
    /// A message.
    Message(Box<MessageRow>),
}

impl RowData {
    /// A key unique among the rows, stable while the row exists.
    pub fn key(&self) -> String {
        match self {
            RowData::Day { day, .. } => format!("day-{day}"),
            RowData::Unread => "unread".to_owned(),
            RowData::Message(m) => m.key.to_string(),
        }
    }
}

/// The client ids of the timeline's entries, in display order.
pub fn entry_keys(timeline: &Timeline) -> Vec<Uuid> {
    timeline
        .entries()
        .map(|e| match e {
            Entry::Message(m) => m.client_id,
            Entry::Pending(p) => p.message.client_id,
        })
        .collect()
}

/// What [`build_rows`] needs besides the timeline.
pub struct RowInputs<'a, D: Fn(i64) -> i64, I: Fn(&str) -> i64> {
    /// Index range of the entries to render.
    pub range: Range<usize>,
    /// The user's read position when the session opened.
    pub unread_anchor: Option<i64>,
    /// Everyone's read positions.
    pub readers: &'a [Reader],
    /// The user.
    pub me: Uuid,
    /// When each pending send was made.
    pub pending_since: &'a HashMap<Uuid, i64>,
    /// Local day of an instant.
    pub local_day: D,
    /// Instant of a server timestamp.
    pub instant: I,
    /// Now, for pending sends of unknown age.
    pub now_ms: i64,
}

/// Builds the rows of the entries in `inputs.range`.
pub fn build_rows<D: Fn(i64) -> i64, I: Fn(&str) -> i64>(
    timeline: &Timeline,
    inputs: RowInputs<'_, D, I>,
) -> Vec<RowData> {
    let entries: Vec<Entry<'_>> = timeline
        .entries()
        .skip(inputs.range.start)
        .take(inputs.range.len())
        .collect();
    let items: Vec<ItemInfo> = entries
        .iter()
        .map(|e| match e {
            Entry::Message(m) => ItemInfo {
                author: m.author.id,
                at_ms: (inputs.instant)(&m.created_at),
                seq: Some(m.seq),
            },
            Entry::Pending(p) => ItemInfo {
                author: inputs.me,
                at_ms: inputs
                    .pending_since
                    .get(&p.message.client_id)
                    .copied()
                    .unwrap_or(inputs.now_ms),
                seq: None,
            },
        })
        .collect();
    let shown_seqs: Vec<i64> = items.iter().filter_map(|i| i.seq).collect();
    let shown: Vec<(i64, Uuid)> = items
        .iter()
        .filter_map(|i| i.seq.map(|s| (s, i.author)))
        .collect();
    let mut receipts = place_receipts(inputs.readers, &shown, inputs.me);
    // The divider marks the first unread message; when that one is above
    // the window, a divider at the window's top would mislead.
    let unread_anchor = inputs
        .unread_anchor
        .filter(|read| shown_seqs.first().is_some_and(|first| *first <= read + 1));
    layout(&items, &inputs.local_day, unread_anchor, inputs.me)
        .into_iter()
        .map(|row| match row {
            Row::Day(day) => {
                let at_ms = items
                    .iter()
                    .find(|i| (inputs.local_day)(i.at_ms) == day)
                    .map_or(0, |i| i.at_ms);
                RowData::Day { day, at_ms }
            }
            Row::Unread => RowData::Unread,
            Row::Item {
                index,
                group_start,
                group_end,
            } => {
                let (item, key, quote) = match entries[index] {
                    Entry::Message(m) => (
                        Item::Stored(Box::new(m.clone())),
                        m.client_id,
                        m.reply_to.clone(),
                    ),
                    Entry::Pending(p) => (
                        Item::Pending(p.clone()),
                        p.message.client_id,
                        p.message.reply_to.and_then(|id| quote_of(timeline, id)),
                    ),
                };
                let receipts = items[index]
                    .seq
                    .and_then(|seq| receipts.remove(&seq))
                    .unwrap_or_default();
                RowData::Message(Box::new(MessageRow {
                    key,
                    item,
                    at_ms: items[index].at_ms,
                    group_start,
                    group_end,
                    quote,
                    receipts,
                }))
            }
        })
        .collect()
}

/// The quote of a held message, as the server would give it.
fn quote_of(timeline: &Timeline, id: Uuid) -> Option<ReplyTo> {
    let m = timeline.messages().find(|m| m.id == id)?;
    Some(ReplyTo {
        id: m.id,
        seq: m.seq,
        author_name: m.author.display_name.clone(),
        preview: if m.is_deleted() {
            None
        } else {
            m.body
                .as_deref()
                .map(|b| one_line(b).chars().take(QUOTE_CHARS).collect())
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::api::{MessageRange, NewMessage};
    use crate::chat::types::{Author, MessageKind};

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    const SESSION: u128 = 1;
    const ME: u128 = 9;

    fn message(seq: i64, author: u128, minute: i64) -> Message {
        Message {
            id: u(1000 + seq as u128),
            session_id: u(SESSION),
            workflow_id: u(2),
            seq,
            client_id: u(5000 + seq as u128),
            kind: MessageKind::Text,
            author: Author {
                id: u(author),
                display_name: format!("A{author}"),
                avatar_url: None,
            },
            body: Some(format!("message {seq}")),
            attachment: None,
            reply_to: None,
            reactions: vec![],
            created_at: format!("{minute}"),
            edited_at: None,
            deleted_at: None,
        }
    }

    fn timeline(messages: Vec<Message>) -> Timeline {
        let mut t = Timeline::new(u(SESSION), 50);
        let range = t.begin_fetch().unwrap();
        assert_eq!(range, MessageRange::Newest);
        t.apply_page(range, messages);
        t
    }

    fn inputs<'a>(
        range: Range<usize>,
        readers: &'a [Reader],
        pending: &'a HashMap<Uuid, i64>,
    ) -> RowInputs<'a, impl Fn(i64) -> i64, impl Fn(&str) -> i64> {
        RowInputs {
            range,
            unread_anchor: Some(2),
            readers,
            me: u(ME),
            pending_since: pending,
            local_day: |ms: i64| ms.div_euclid(24 * 60 * 60_000),
            // Test timestamps are minutes.
            instant: |s: &str| s.parse::<i64>().unwrap() * 60_000,
            now_ms: 10 * 60_000,
        }
    }

    fn shape(rows: &[RowData]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                RowData::Day { day, .. } => format!("day{day}"),
                RowData::Unread => "unread".into(),
                RowData::Message(m) => match &m.item {
                    Item::Stored(s) => format!(
                        "{}{}{}",
                        if m.group_start { "[" } else { "" },
                        s.seq,
                        if m.receipts.is_empty() {
                            String::new()
                        } else {
                            format!(" seen:{}", m.receipts.join("+"))
                        }
                    ),
                    Item::Pending(p) => format!(
                        "{}pending:{}",
                        if m.group_start { "[" } else { "" },
                        p.message.body.as_deref().unwrap_or("")
                    ),
                },
            })
            .collect()
    }

    #[test]
    fn rows_with_divider_receipts_and_pending_sends() {
        let mut t = timeline(vec![
            message(1, 2, 0),
            message(2, 2, 1),
            message(3, 3, 2),
            message(4, 3, 3),
        ]);
        let mut reply = NewMessage::text("on it").replying_to(u(1003));
        reply.client_id = u(77);
        t.push_pending(reply);
        let pending = HashMap::from([(u(77), 4 * 60_000)]);
        let readers = [
            Reader {
                account: u(2),
                name: "Ben".into(),
                last_read_seq: 4,
            },
            Reader {
                account: u(ME),
                name: "Me".into(),
                last_read_seq: 4,
            },
        ];
        let keys = entry_keys(&t);
        assert_eq!(keys.len(), 5);
        assert_eq!(keys[4], u(77));
        let rows = build_rows(&t, inputs(0..5, &readers, &pending));
        assert_eq!(
            shape(&rows),
            vec![
                "day0",
                "[1",
                "2",
                "unread",
                "[3",
                "4 seen:Ben",
                "[pending:on it"
            ]
        );
        let RowData::Message(last) = rows.last().unwrap() else {
            panic!()
        };
        let quote = last.quote.as_ref().unwrap();
        assert_eq!(
            (quote.author_name.as_str(), quote.preview.as_deref()),
            ("A3", Some("message 3"))
        );
        assert_eq!(last.at_ms, 4 * 60_000);
        // Keys are unique.
        let mut all: Vec<String> = rows.iter().map(RowData::key).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), rows.len());
    }

    #[test]
    fn only_the_window_is_built() {
        let t = timeline((1..=10).map(|s| message(s, 2, s)).collect());
        let pending = HashMap::new();
        let rows = build_rows(&t, inputs(7..10, &[], &pending));
        // Messages 3 to 7 are unread too: no divider above 8.
        assert_eq!(shape(&rows), vec!["day0", "[8", "9", "10"]);
        let rows = build_rows(&t, inputs(1..4, &[], &pending));
        assert_eq!(shape(&rows), vec!["day0", "[2", "unread", "[3", "4"]);
    }
}
