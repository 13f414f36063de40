//! Presence state of one channel: who is here, kept in sync from the full
//! state the server sends after each join and the diffs that follow.
//!
//! Each key (for this app, an account id) has one meta per connection that
//! tracks it, told apart by the server's `phx_ref`. Diffs that arrive before
//! the state of the current join are held back and applied after it, as
//! the Phoenix client does, so a reconnect never shows a half-built list.
//!
//! ```
//! use serde_json::json;
//! use workflow_chat::supabase::realtime::Presence;
//!
//! let mut presence = Presence::default();
//! presence.apply_state(&json!({"alice": {"metas": [{"phx_ref": "a1", "name": "Alice"}]}}));
//! presence.apply_diff(&json!({
//!     "joins": {"bob": {"metas": [{"phx_ref": "b1"}]}},
//!     "leaves": {"alice": {"metas": [{"phx_ref": "a1"}]}}
//! }));
//! assert_eq!(presence.keys().collect::<Vec<_>>(), vec!["bob"]);
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One connection's presence under a key: its server ref and tracked state.
#[derive(Clone, Debug, PartialEq)]
pub struct PresenceMeta {
    /// The server's id of this meta (`phx_ref`).
    pub presence_ref: String,
    /// What the client tracked (without the `phx_ref*` fields).
    pub state: Map<String, Value>,
}

/// Keys that joined or left in one update.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PresenceChange {
    /// Metas that appeared, by key.
    pub joins: BTreeMap<String, Vec<PresenceMeta>>,
    /// Metas that went away, by key.
    pub leaves: BTreeMap<String, Vec<PresenceMeta>>,
}

impl PresenceChange {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.joins.is_empty() && self.leaves.is_empty()
    }
}

/// Presence of one channel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Presence {
    state: BTreeMap<String, Vec<PresenceMeta>>,
    synced: bool,
    pending: Vec<Value>,
}

impl Presence {
    /// Forgets sync for a new join; the current list stays visible until the
    /// new state replaces it.
    pub fn begin_join(&mut self) {
        self.synced = false;
        self.pending.clear();
    }

    /// Empties everything (the channel was left).
    pub fn clear(&mut self) {
        *self = Presence::default();
    }

    /// Whether the state of the current join has arrived.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Replaces the list with a `presence_state` payload, then applies the
    /// diffs held back meanwhile. Returns what changed overall.
    pub fn apply_state(&mut self, payload: &Value) -> PresenceChange {
        let new_state = parse_entries(payload);
        let mut change = PresenceChange::default();
        for (key, metas) in &self.state {
            let gone: Vec<_> = match new_state.get(key) {
                Some(new) => metas
                    .iter()
                    .filter(|m| !new.iter().any(|n| n.presence_ref == m.presence_ref))
                    .cloned()
                    .collect(),
                None => metas.clone(),
            };
            if !gone.is_empty() {
                change.leaves.insert(key.clone(), gone);
            }
        }
        for (key, metas) in &new_state {
            let old = self.state.get(key);
            let fresh: Vec<_> = metas
                .iter()
                .filter(|m| {
                    !old.is_some_and(|o| o.iter().any(|x| x.presence_ref == m.presence_ref))
                })
                .cloned()
                .collect();
            if !fresh.is_empty() {
                change.joins.insert(key.clone(), fresh);
            }
        }
        self.state = new_state;
        self.synced = true;
        for diff in std::mem::take(&mut self.pending) {
            let more = self.merge_diff(&diff);
            merge_change(&mut change, more);
        }
        change
    }

    /// Applies a `presence_diff` payload, or holds it back until the state of
    /// the current join has arrived (then returns `None`).
    pub fn apply_diff(&mut self, payload: &Value) -> Option<PresenceChange> {
        if !self.synced {
            self.pending.push(payload.clone());
            return None;
        }
        Some(self.merge_diff(payload))
    }

    fn merge_diff(&mut self, payload: &Value) -> PresenceChange {
        let joins = parse_entries(payload.get("joins").unwrap_or(&Value::Null));
        let leaves = parse_entries(payload.get("leaves").unwrap_or(&Value::Null));
        for (key, metas) in &joins {
            let entry = self.state.entry(key.clone()).or_default();
            for meta in metas {
                if !entry.iter().any(|m| m.presence_ref == meta.presence_ref) {
                    entry.push(meta.clone());
                }
            }
        }
        for (key, metas) in &leaves {
            if let Some(entry) = self.state.get_mut(key) {
                entry.retain(|m| !metas.iter().any(|l| l.presence_ref == m.presence_ref));
                if entry.is_empty() {
                    self.state.remove(key);
                }
            }
        }
        PresenceChange { joins, leaves }
    }

    /// Keys present now, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.state.keys().map(String::as_str)
    }

    /// Metas of one key.
    pub fn metas(&self, key: &str) -> &[PresenceMeta] {
        self.state.get(key).map(Vec::as_slice).unwrap_or_default()
    }

    /// The whole list.
    pub fn entries(&self) -> &BTreeMap<String, Vec<PresenceMeta>> {
        &self.state
    }
}

fn merge_change(into: &mut PresenceChange, more: PresenceChange) {
    for (k, v) in more.joins {
        into.joins.entry(k).or_default().extend(v);
    }
    for (k, v) in more.leaves {
        into.leaves.entry(k).or_default().extend(v);
    }
}

/// Reads `{"key": {"metas": [{"phx_ref": …, …}]}}`, skipping malformed parts.
fn parse_entries(value: &Value) -> BTreeMap<String, Vec<PresenceMeta>> {
    let mut out = BTreeMap::new();
    let Some(object) = value.as_object() else {
        return out;
    };
    for (key, entry) in object {
        let metas: Vec<PresenceMeta> = entry
            .get("metas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|meta| {
                let mut state = meta.as_object()?.clone();
                let presence_ref = match state.remove("phx_ref")? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                state.remove("phx_ref_prev");
                Some(PresenceMeta {
                    presence_ref,
                    state,
                })
            })
            .collect();
        if !metas.is_empty() {
            out.insert(key.clone(), metas);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(p: &Presence, key: &str) -> Vec<String> {
        p.metas(key)
            .iter()
            .map(|m| m.presence_ref.clone())
            .collect()
    }

    #[test]
    fn state_then_diffs() {
        let mut p = Presence::default();
        let change = p.apply_state(&json!({
            "u1": {"metas": [{"phx_ref": "F-ibJM9fxV7YbgkB", "user": "alice", "online_at": "t"}]}
        }));
        assert_eq!(change.joins["u1"][0].state["user"], "alice");
        assert!(!change.joins["u1"][0].state.contains_key("phx_ref"));
        // A second tab of the same user.
        p.apply_diff(&json!({"joins": {"u1": {"metas": [{"phx_ref": "r2"}]}}, "leaves": {}}))
            .unwrap();
        assert_eq!(refs(&p, "u1"), vec!["F-ibJM9fxV7YbgkB", "r2"]);
        // An update: join of the new meta with phx_ref_prev plus leave of the old.
        let change = p
            .apply_diff(&json!({
                "joins": {"u1": {"metas": [{"phx_ref": "r3", "phx_ref_prev": "r2", "typing": true}]}},
                "leaves": {"u1": {"metas": [{"phx_ref": "r2"}]}}
            }))
            .unwrap();
        assert!(!change.joins["u1"][0].state.contains_key("phx_ref_prev"));
        assert_eq!(refs(&p, "u1"), vec!["F-ibJM9fxV7YbgkB", "r3"]);
        // Both connections leave: the key disappears.
        p.apply_diff(&json!({"joins": {}, "leaves": {"u1": {"metas": [{"phx_ref": "F-ibJM9fxV7YbgkB"}, {"phx_ref": "r3"}]}}}))
            .unwrap();
        assert_eq!(p.keys().count(), 0);
    }

    #[test]
    fn diffs_before_state_wait_for_it() {
        let mut p = Presence::default();
        p.begin_join();
        assert_eq!(
            p.apply_diff(&json!({"joins": {"b": {"metas": [{"phx_ref": "b1"}]}}, "leaves": {}})),
            None
        );
        assert_eq!(p.keys().count(), 0);
        let change = p.apply_state(&json!({"a": {"metas": [{"phx_ref": "a1"}]}}));
        assert_eq!(p.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(change.joins.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    }

    #[test]
    fn rejoin_state_reports_who_left_meanwhile() {
        let mut p = Presence::default();
        p.apply_state(
            &json!({"a": {"metas": [{"phx_ref": "a1"}]}, "b": {"metas": [{"phx_ref": "b1"}]}}),
        );
        p.begin_join();
        // Still visible while rejoining.
        assert_eq!(p.keys().count(), 2);
        let change = p.apply_state(
            &json!({"b": {"metas": [{"phx_ref": "b1"}]}, "c": {"metas": [{"phx_ref": "c1"}]}}),
        );
        assert_eq!(change.leaves.keys().collect::<Vec<_>>(), vec!["a"]);
        assert_eq!(change.joins.keys().collect::<Vec<_>>(), vec!["c"]);
        p.clear();
        assert!(!p.is_synced() && p.keys().count() == 0);
    }

    #[test]
    fn ignores_malformed_entries() {
        let mut p = Presence::default();
        p.apply_state(&json!({"a": {"metas": [{"no_ref": 1}, 5]}, "b": "x", "c": {"metas": [{"phx_ref": 7}]}}));
        assert_eq!(p.keys().collect::<Vec<_>>(), vec!["c"]);
        assert_eq!(refs(&p, "c"), vec!["7"]);
        assert!(p.apply_diff(&json!(null)).unwrap().is_empty());
    }
}
