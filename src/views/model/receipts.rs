//! Read receipts: under which message each reader's "seen" mark goes.
//!
//! Everyone's read position is a `seq`. A reader's mark goes under the
//! newest shown message at or below their position, so a glance at the
//! bottom of the list tells who has caught up. A mark under the reader's
//! own message says nothing new and is left out.
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::views::model::receipts::{place_receipts, Reader};
//! let ben = Reader { account: Uuid::from_u128(2), name: "Ben".into(), last_read_seq: 4 };
//! let ada = Uuid::from_u128(1);
//! let placed = place_receipts(&[ben], &[(1, ada), (3, ada), (5, ada)], ada);
//! assert_eq!(placed.get(&3).unwrap(), &vec!["Ben".to_string()]);
//! ```

use std::collections::BTreeMap;

use uuid::Uuid;

/// One reader's position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    /// Account id.
    pub account: Uuid,
    /// Name shown.
    pub name: String,
    /// Read up to this `seq`.
    pub last_read_seq: i64,
}

/// Maps shown message seqs to the names of readers whose mark goes there.
/// `shown` holds `(seq, author)` in ascending `seq`. `me` gets no mark; nor
/// does anyone whose position is before the first shown message, or whose
/// mark would go under their own message.
pub fn place_receipts(
    readers: &[Reader],
    shown: &[(i64, Uuid)],
    me: Uuid,
) -> BTreeMap<i64, Vec<String>> {
    let mut placed: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for reader in readers.iter().filter(|r| r.account != me) {
        let at = shown.partition_point(|&(s, _)| s <= reader.last_read_seq);
        if at == 0 {
            continue;
        }
        let (seq, author) = shown[at - 1];
        if author == reader.account {
            continue;
        }
        placed
            .entry(seq)
            .or_default()
            .push((reader.last_read_seq, reader.name.clone()));
    }
    placed
        .into_iter()
        .map(|(seq, mut names)| {
            // Furthest reader first, then by name, for a stable order.
            names.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            (seq, names.into_iter().map(|(_, n)| n).collect())
        })
        .collect()
}

/// Updates `readers` with a new position (positions never go back).
pub fn apply_read(readers: &mut Vec<Reader>, update: Reader) {
    match readers.iter_mut().find(|r| r.account == update.account) {
        Some(r) => {
            if update.last_read_seq >= r.last_read_seq {
                *r = update;
            }
        }
        None => readers.push(update),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(n: u128, name: &str, seq: i64) -> Reader {
        Reader {
            account: Uuid::from_u128(n),
            name: name.into(),
            last_read_seq: seq,
        }
    }

    #[test]
    fn marks_go_under_the_newest_read_shown_message() {
        let me = Uuid::from_u128(1);
        let readers = [
            reader(1, "Me", 10),
            reader(2, "Ben", 10),
            reader(3, "Ada", 7),
            reader(4, "Chloé", 9),
            reader(5, "Dev", 2),
        ];
        let other = Uuid::from_u128(99);
        let shown = [(5, other), (6, other), (7, other), (9, other), (10, other)];
        let placed = place_receipts(&readers, &shown, me);
        assert_eq!(placed.len(), 3);
        assert_eq!(placed[&10], vec!["Ben"]);
        assert_eq!(placed[&9], vec!["Chloé"]);
        assert_eq!(placed[&7], vec!["Ada"]);
        assert!(place_receipts(&readers, &[], me).is_empty());
    }

    #[test]
    fn several_readers_on_one_message_and_beyond_the_window() {
        let me = Uuid::from_u128(1);
        let readers = [
            reader(3, "Zoe", 40),
            reader(2, "Ben", 50),
            reader(4, "Al", 40),
        ];
        let placed = place_receipts(&readers, &[(20, me), (30, me)], me);
        assert_eq!(placed[&30], vec!["Ben", "Al", "Zoe"]);
        // Ben wrote 30 himself: his mark there is left out.
        let placed = place_receipts(&readers, &[(20, me), (30, Uuid::from_u128(2))], me);
        assert_eq!(placed[&30], vec!["Al", "Zoe"]);
    }

    #[test]
    fn positions_only_move_forward() {
        let mut readers = vec![reader(2, "Ben", 5)];
        apply_read(&mut readers, reader(2, "Ben", 3));
        assert_eq!(readers[0].last_read_seq, 5);
        apply_read(&mut readers, reader(2, "Ben B.", 8));
        assert_eq!(
            (readers[0].last_read_seq, readers[0].name.as_str()),
            (8, "Ben B.")
        );
        apply_read(&mut readers, reader(3, "Ada", 1));
        assert_eq!(readers.len(), 2);
    }
}
