//! Presence of one topic group: who tracks which state under which key, and
//! the joins/leaves each change produces. Pure data; the hub fans the diffs
//! out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Identifies one joined channel instance (one socket's join of a topic).
pub type OwnerId = u64;

#[derive(Debug, Clone, PartialEq)]
struct Meta {
    owner: OwnerId,
    phx_ref: String,
    phx_ref_prev: Option<String>,
    state: Map<String, Value>,
}

impl Meta {
    fn to_json(&self) -> Value {
        let mut obj = self.state.clone();
        obj.insert("phx_ref".into(), Value::String(self.phx_ref.clone()));
        if let Some(prev) = &self.phx_ref_prev {
            obj.insert("phx_ref_prev".into(), Value::String(prev.clone()));
        }
        Value::Object(obj)
    }
}

/// A `presence_diff` payload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    joins: BTreeMap<String, Vec<Value>>,
    leaves: BTreeMap<String, Vec<Value>>,
}

impl Diff {
    /// `{"joins":{key:{"metas":[…]}},"leaves":{…}}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "joins": group(&self.joins), "leaves": group(&self.leaves) })
    }

    /// Whether nothing joined or left.
    pub fn is_empty(&self) -> bool {
        self.joins.is_empty() && self.leaves.is_empty()
    }

    fn merge(&mut self, other: Diff) {
        for (k, v) in other.joins {
            self.joins.entry(k).or_default().extend(v);
        }
        for (k, v) in other.leaves {
            self.leaves.entry(k).or_default().extend(v);
        }
    }
}

fn group(map: &BTreeMap<String, Vec<Value>>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, metas)| (k.clone(), serde_json::json!({ "metas": metas })))
            .collect(),
    )
}

/// Everything tracked on one topic group.
#[derive(Debug, Default)]
pub struct PresenceSet {
    keys: BTreeMap<String, Vec<Meta>>,
}

impl PresenceSet {
    /// Tracks `state` for `owner` under `key`. A first track is a join; a
    /// changed state is a join of the new meta (with `phx_ref_prev`) plus a
    /// leave of the old one; an unchanged state changes nothing (`None`).
    pub fn track(&mut self, owner: OwnerId, key: &str, state: Map<String, Value>) -> Option<Diff> {
        let mut diff = Diff::default();
        let metas = self.keys.entry(key.to_string()).or_default();
        let mut prev_ref = None;
        if let Some(pos) = metas.iter().position(|m| m.owner == owner) {
            if metas[pos].state == state {
                return None;
            }
            let old = metas.remove(pos);
            prev_ref = Some(old.phx_ref.clone());
            diff.leaves
                .entry(key.to_string())
                .or_default()
                .push(old.to_json());
        }
        let meta = Meta {
            owner,
            phx_ref: new_ref(),
            phx_ref_prev: prev_ref,
            state,
        };
        diff.joins
            .entry(key.to_string())
            .or_default()
            .push(meta.to_json());
        metas.push(meta);
        Some(diff)
    }

    /// Removes whatever `owner` tracks (untrack, leave, disconnect).
    pub fn untrack(&mut self, owner: OwnerId) -> Option<Diff> {
        let mut diff = Diff::default();
        self.keys.retain(|key, metas| {
            metas.retain(|m| {
                if m.owner == owner {
                    diff.leaves
                        .entry(key.clone())
                        .or_default()
                        .push(m.to_json());
                    false
                } else {
                    true
                }
            });
            !metas.is_empty()
        });
        if diff.is_empty() {
            None
        } else {
            Some(diff)
        }
    }

    /// Removes every owner in `owners` at once, as one diff.
    pub fn untrack_all(&mut self, owners: &[OwnerId]) -> Option<Diff> {
        let mut total = Diff::default();
        for o in owners {
            if let Some(d) = self.untrack(*o) {
                total.merge(d);
            }
        }
        (!total.is_empty()).then_some(total)
    }

    /// The `presence_state` payload: `{key: {"metas": […]}}`.
    pub fn state(&self) -> Value {
        Value::Object(
            self.keys
                .iter()
                .map(|(k, metas)| {
                    let list: Vec<Value> = metas.iter().map(Meta::to_json).collect();
                    (k.clone(), serde_json::json!({ "metas": list }))
                })
                .collect(),
        )
    }

    /// Whether nobody tracks anything.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A fresh opaque `phx_ref`: unique in this process, base64url like
/// Phoenix's.
pub fn new_ref() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&t.to_be_bytes());
    bytes[8..].copy_from_slice(&(n as u32).to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Supabase's per-channel limit on client presence calls (track and
/// untrack): `max_calls` per `window`, counted from the first call of a
/// window.
#[derive(Debug, Clone)]
pub struct CallLimit {
    max_calls: u32,
    window: Duration,
    count: u32,
    reset_at: Option<Instant>,
}

impl CallLimit {
    /// Realtime's default: 5 calls per 30 s.
    pub fn supabase_default() -> CallLimit {
        CallLimit::new(5, Duration::from_secs(30))
    }

    /// A limit of `max_calls` per `window`.
    pub fn new(max_calls: u32, window: Duration) -> CallLimit {
        CallLimit {
            max_calls,
            window,
            count: 0,
            reset_at: None,
        }
    }

    /// Counts a call at `now`; false when it is over the limit.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.reset_at {
            Some(reset) if now <= reset => {
                if self.count >= self.max_calls {
                    false
                } else {
                    self.count += 1;
                    true
                }
            }
            _ => {
                self.count = 1;
                self.reset_at = Some(now + self.window);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn track_update_untrack() {
        let mut p = PresenceSet::default();
        let d = p
            .track(1, "alice", state(json!({"online": 1})))
            .unwrap()
            .to_json();
        let r1 = d["joins"]["alice"]["metas"][0]["phx_ref"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(d["joins"]["alice"]["metas"][0]["online"], 1);
        assert_eq!(d["leaves"], json!({}));

        assert!(p.track(1, "alice", state(json!({"online": 1}))).is_none());

        let d = p
            .track(1, "alice", state(json!({"online": 2})))
            .unwrap()
            .to_json();
        assert_eq!(d["joins"]["alice"]["metas"][0]["phx_ref_prev"], r1.as_str());
        assert_eq!(d["leaves"]["alice"]["metas"][0]["phx_ref"], r1.as_str());

        p.track(2, "alice", state(json!({"tab": 2})));
        p.track(3, "bob", state(json!({})));
        let s = p.state();
        assert_eq!(s["alice"]["metas"].as_array().unwrap().len(), 2);
        assert_eq!(s["bob"]["metas"].as_array().unwrap().len(), 1);

        let d = p.untrack(1).unwrap().to_json();
        assert_eq!(d["leaves"]["alice"]["metas"][0]["online"], 2);
        assert!(p.untrack(1).is_none());
        let d = p.untrack_all(&[2, 3]).unwrap().to_json();
        assert!(d["leaves"]["alice"].is_object() && d["leaves"]["bob"].is_object());
        assert!(p.is_empty());
    }

    #[test]
    fn refs_are_unique() {
        let a = new_ref();
        let b = new_ref();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn call_limit_windows() {
        let t0 = Instant::now();
        let mut l = CallLimit::new(2, Duration::from_secs(30));
        assert!(l.allow(t0));
        assert!(l.allow(t0 + Duration::from_secs(1)));
        assert!(!l.allow(t0 + Duration::from_secs(2)));
        assert!(l.allow(t0 + Duration::from_secs(31)));
    }
}
