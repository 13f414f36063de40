//! How a list of messages is laid out: day separators, the unread divider,
//! and runs of consecutive messages from one author shown as a group (one
//! name and avatar, tighter spacing).
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::views::model::grouping::{layout, ItemInfo, Row};
//!
//! let ada = Uuid::from_u128(1);
//! let items = [
//!     ItemInfo { author: ada, at_ms: 0, seq: Some(1) },
//!     ItemInfo { author: ada, at_ms: 60_000, seq: Some(2) },
//! ];
//! let rows = layout(&items, |ms| ms / 86_400_000, None, Uuid::nil());
//! assert_eq!(rows, vec![
//!     Row::Day(0),
//!     Row::Item { index: 0, group_start: true, group_end: false },
//!     Row::Item { index: 1, group_start: false, group_end: true },
//! ]);
//! ```

use uuid::Uuid;

/// Longest pause between two messages of one author that still groups them.
pub const GROUP_GAP_MS: i64 = 5 * 60 * 1000;

/// What the layout needs to know about one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemInfo {
    /// Author's account id.
    pub author: Uuid,
    /// When it was sent (ms since the epoch); for a pending send, when it
    /// was made.
    pub at_ms: i64,
    /// Its `seq`, or `None` for a send not confirmed yet.
    pub seq: Option<i64>,
}

/// One row of the message list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A day separator with the local day number.
    Day(i64),
    /// The "new messages" divider.
    Unread,
    /// The message at `index` of the input.
    Item {
        /// Index into the items.
        index: usize,
        /// First of its group: shows the author's name and avatar.
        group_start: bool,
        /// Last of its group: followed by wider spacing.
        group_end: bool,
    },
}

/// Lays out `items` (in display order). `local_day` maps an instant to its
/// local day number. The unread divider goes before the first message after
/// `last_read_seq` that `me` did not write.
pub fn layout(
    items: &[ItemInfo],
    local_day: impl Fn(i64) -> i64,
    last_read_seq: Option<i64>,
    me: Uuid,
) -> Vec<Row> {
    let mut rows = Vec::with_capacity(items.len() + 4);
    let mut unread_placed = last_read_seq.is_none();
    let mut previous: Option<(&ItemInfo, i64)> = None;
    let mut open_group: Option<usize> = None;
    for (index, item) in items.iter().enumerate() {
        let day = local_day(item.at_ms);
        let mut breaks = false;
        if previous.is_none_or(|(_, d)| d != day) {
            rows.push(Row::Day(day));
            breaks = true;
        }
        if !unread_placed {
            if let (Some(seq), Some(read)) = (item.seq, last_read_seq) {
                if seq > read && item.author != me {
                    rows.push(Row::Unread);
                    unread_placed = true;
                    breaks = true;
                }
            }
        }
        let continues = !breaks
            && previous.is_some_and(|(p, _)| {
                p.author == item.author && (item.at_ms - p.at_ms).abs() <= GROUP_GAP_MS
            });
        if !continues {
            close_group(&mut rows, open_group);
        }
        open_group = Some(rows.len());
        rows.push(Row::Item {
            index,
            group_start: !continues,
            group_end: false,
        });
        previous = Some((item, day));
    }
    close_group(&mut rows, open_group);
    rows
}

fn close_group(rows: &mut [Row], last: Option<usize>) {
    if let Some(Row::Item { group_end, .. }) = last.and_then(|i| rows.get_mut(i)) {
        *group_end = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const DAY: i64 = 86_400_000;

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn item(author: u128, at_ms: i64, seq: Option<i64>) -> ItemInfo {
        ItemInfo {
            author: u(author),
            at_ms,
            seq,
        }
    }

    fn utc_day(ms: i64) -> i64 {
        ms.div_euclid(DAY)
    }

    fn shape(rows: &[Row]) -> String {
        rows.iter()
            .map(|r| match r {
                Row::Day(d) => format!("D{d}"),
                Row::Unread => "U".into(),
                Row::Item {
                    index,
                    group_start,
                    group_end,
                } => format!(
                    "{}{index}{}",
                    if *group_start { "[" } else { "" },
                    if *group_end { "]" } else { "" }
                ),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn empty() {
        assert!(layout(&[], utc_day, Some(3), u(1)).is_empty());
    }

    #[test]
    fn groups_by_author_and_time() {
        let items = [
            item(1, 0, Some(1)),
            item(1, 2 * MIN, Some(2)),
            item(1, 7 * MIN + 1, Some(3)), // more than five minutes later
            item(2, 8 * MIN, Some(4)),
            item(2, 9 * MIN, Some(5)),
            item(1, 10 * MIN, Some(6)),
        ];
        assert_eq!(
            shape(&layout(&items, utc_day, None, u(9))),
            "D0 [0 1] [2] [3 4] [5]"
        );
    }

    #[test]
    fn day_separators_break_groups() {
        let items = [
            item(1, DAY - MIN, Some(1)),
            item(1, DAY + MIN, Some(2)),
            item(1, 3 * DAY, Some(3)),
        ];
        assert_eq!(
            shape(&layout(&items, utc_day, None, u(9))),
            "D0 [0] D1 [1] D3 [2]"
        );
        // The same instants in a zone two hours ahead fall on one day.
        let ahead = |ms: i64| (ms + 120 * MIN).div_euclid(DAY);
        assert_eq!(shape(&layout(&items, ahead, None, u(9))), "D1 [0 1] D3 [2]");
    }

    #[test]
    fn unread_divider_before_first_unread_from_others() {
        let items = [
            item(1, 0, Some(1)),
            item(1, MIN, Some(2)),
            item(9, 2 * MIN, Some(3)), // mine: never "new"
            item(1, 3 * MIN, Some(4)),
            item(1, 4 * MIN, Some(5)),
        ];
        assert_eq!(
            shape(&layout(&items, utc_day, Some(1), u(9))),
            "D0 [0] U [1] [2] [3 4]"
        );
        assert_eq!(
            shape(&layout(&items, utc_day, Some(2), u(9))),
            "D0 [0 1] [2] U [3 4]"
        );
        // Everything read, or nothing known: no divider.
        assert_eq!(
            shape(&layout(&items, utc_day, Some(5), u(9))),
            "D0 [0 1] [2] [3 4]"
        );
        assert_eq!(
            shape(&layout(&items, utc_day, None, u(9))),
            "D0 [0 1] [2] [3 4]"
        );
    }

    #[test]
    fn pending_sends_join_my_group_but_never_count_as_unread() {
        let items = [
            item(9, 0, Some(1)),
            item(9, MIN, None),
            item(9, 2 * MIN, None),
        ];
        assert_eq!(shape(&layout(&items, utc_day, Some(0), u(9))), "D0 [0 1 2]");
    }
}
