//! Windowed rendering: which part of a long history is in the page.
//!
//! A session may hold thousands of messages; the page only ever holds a
//! window of at most [`MAX_ROWS`] of them around what the user looks at.
//! Scrolling up reveals older messages held in memory (and, at the top of
//! memory, the views fetch another page); scrolling down again reveals newer
//! ones and drops the oldest; "jump to latest" returns to the newest.
//!
//! The window is kept as the keys of its first and last items rather than
//! indices, so that older pages arriving at the front of the list do not
//! move it.
//!
//! ```
//! use workflow_chat::views::model::window::{RenderWindow, INITIAL_ROWS};
//! let keys: Vec<u32> = (0..500).collect();
//! let mut window = RenderWindow::default();
//! assert_eq!(window.range(&keys), 500 - INITIAL_ROWS..500);
//! assert!(window.show_older(&keys));
//! assert!(window.range(&keys).start < 500 - INITIAL_ROWS);
//! ```

use std::ops::Range;

/// Rows rendered when a session opens or after "jump to latest".
pub const INITIAL_ROWS: usize = 60;
/// Rows added per step when scrolling.
pub const STEP_ROWS: usize = 40;
/// Most rows in the page at once.
pub const MAX_ROWS: usize = 160;

/// The rendered part of a list, by the keys of its ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderWindow<K> {
    first: Option<K>,
    last: Option<K>,
}

impl<K> Default for RenderWindow<K> {
    fn default() -> Self {
        Self {
            first: None,
            last: None,
        }
    }
}

impl<K: PartialEq + Clone> RenderWindow<K> {
    /// Whether the newest items are rendered (new ones appear as they come).
    pub fn follows_latest(&self) -> bool {
        self.last.is_none()
    }

    /// The rendered index range of `keys` (oldest first).
    pub fn range(&self, keys: &[K]) -> Range<usize> {
        let len = keys.len();
        let end = match &self.last {
            None => len,
            Some(k) => keys.iter().position(|x| x == k).map_or(len, |i| i + 1),
        };
        let start = match &self.first {
            Some(k) => keys
                .iter()
                .position(|x| x == k)
                .filter(|&i| i <= end)
                .unwrap_or(end.saturating_sub(INITIAL_ROWS)),
            None => end.saturating_sub(INITIAL_ROWS),
        };
        // Following the newest, new items push the oldest out.
        start.max(end.saturating_sub(MAX_ROWS))..end
    }

    /// Renders up to [`STEP_ROWS`] older items held in memory; returns
    /// false when the oldest held item is already rendered (time to fetch).
    pub fn show_older(&mut self, keys: &[K]) -> bool {
        let Range { start, end } = self.range(keys);
        if start == 0 {
            return false;
        }
        let new_start = start.saturating_sub(STEP_ROWS);
        self.first = Some(keys[new_start].clone());
        if end - new_start > MAX_ROWS {
            self.last = Some(keys[new_start + MAX_ROWS - 1].clone());
        }
        true
    }

    /// Renders up to [`STEP_ROWS`] newer items; returns false when the
    /// newest are already rendered.
    pub fn show_newer(&mut self, keys: &[K]) -> bool {
        if self.last.is_none() {
            return false;
        }
        let Range { start, end } = self.range(keys);
        let new_end = (end + STEP_ROWS).min(keys.len());
        self.last = if new_end >= keys.len() {
            None
        } else {
            Some(keys[new_end - 1].clone())
        };
        if new_end - start > MAX_ROWS {
            self.first = Some(keys[new_end - MAX_ROWS].clone());
        } else if self.first.is_none() {
            self.first = keys.get(start).cloned();
        }
        true
    }

    /// Back to the newest [`INITIAL_ROWS`].
    pub fn jump_to_latest(&mut self) {
        self.first = None;
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(range: Range<u32>) -> Vec<u32> {
        range.collect()
    }

    #[test]
    fn short_lists_render_whole() {
        let w = RenderWindow::<u32>::default();
        assert_eq!(w.range(&[]), 0..0);
        assert_eq!(w.range(&keys(0..10)), 0..10);
        assert!(w.follows_latest());
    }

    #[test]
    fn older_pages_keep_the_window_in_place() {
        let mut w = RenderWindow::default();
        let mut list = keys(100..200);
        assert!(w.show_older(&list));
        assert_eq!(w.range(&list), 0..100);
        assert!(!w.show_older(&list), "everything in memory is rendered");
        // A page of older messages arrives at the front: the window keeps
        // showing the same items.
        list = keys(50..200);
        assert_eq!(w.range(&list), 50..150);
        assert!(w.show_older(&list));
        assert_eq!(w.range(&list), 10..150);
    }

    #[test]
    fn scrolling_far_up_trims_the_newest_and_down_again_restores_them() {
        let list = keys(0..1000);
        let mut w = RenderWindow::default();
        while w.range(&list).start > 0 {
            assert!(w.show_older(&list));
            let r = w.range(&list);
            assert!(r.len() <= MAX_ROWS, "{r:?}");
        }
        assert!(!w.follows_latest());
        assert_eq!(w.range(&list), 0..MAX_ROWS);
        while !w.follows_latest() {
            assert!(w.show_newer(&list));
            assert!(w.range(&list).len() <= MAX_ROWS);
        }
        assert_eq!(w.range(&list).end, 1000);
        assert!(!w.show_newer(&list));
        w.jump_to_latest();
        assert_eq!(w.range(&list), 1000 - INITIAL_ROWS..1000);
    }

    #[test]
    fn new_items_while_following_push_the_oldest_out() {
        let mut w = RenderWindow::default();
        let list = keys(0..300);
        w.show_older(&list);
        w.show_older(&list);
        let r = w.range(&list);
        assert_eq!(r.len(), INITIAL_ROWS + 2 * STEP_ROWS);
        assert!(w.follows_latest());
        let longer = keys(0..400);
        assert_eq!(w.range(&longer), 400 - MAX_ROWS..400);
    }

    #[test]
    fn vanished_keys_fall_back_to_the_newest() {
        let mut w = RenderWindow::default();
        let list = keys(0..300);
        w.show_older(&list);
        assert_eq!(w.range(&keys(1000..1100)), 40..100);
    }
}
