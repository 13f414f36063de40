//! Who is in a session and who is typing.
//!
//! Online users come from the channel's presence list (one entry per
//! account, however many tabs it has open). Typing is an ephemeral
//! broadcast: an indicator expires on its own if the "stopped" message is
//! lost, and a client announces typing at most once per
//! [`TYPING_RESEND`] while the user keeps typing.
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::chat::events::Typing;
//! use workflow_chat::chat::presence::{TypingIndicators, TypingThrottle};
//! use workflow_chat::supabase::time::Millis;
//!
//! let me = Uuid::from_u128(1);
//! let ada = Uuid::from_u128(2);
//! let mut typing = TypingIndicators::new(me);
//! typing.apply(&Typing { account_id: ada, display_name: "Ada".into(), typing: true }, Millis(0));
//! assert_eq!(typing.names(Millis(1_000)), vec!["Ada"]);
//! assert!(typing.names(Millis(10_000)).is_empty()); // expired
//!
//! let mut throttle = TypingThrottle::default();
//! assert_eq!(throttle.on_input(Millis(0)), Some(true));
//! assert_eq!(throttle.on_input(Millis(500)), None);
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use uuid::Uuid;

use super::events::{PresenceInfo, Typing};
use crate::supabase::realtime::Presence;
use crate::supabase::time::Millis;

/// How long a typing indicator lasts without news.
pub const TYPING_TTL: Duration = Duration::from_secs(6);
/// How often a client repeats "typing" while the user keeps typing.
pub const TYPING_RESEND: Duration = Duration::from_secs(3);
/// How long after the last keystroke a client says it stopped.
pub const TYPING_IDLE: Duration = Duration::from_secs(4);

/// Accounts present on a channel, one entry each, ordered by name.
/// Entries whose tracked state does not have the documented shape are
/// skipped.
pub fn online(presence: &Presence) -> Vec<PresenceInfo> {
    let mut people: Vec<PresenceInfo> = presence
        .entries()
        .values()
        .filter_map(|metas| {
            metas.iter().find_map(|m| {
                serde_json::from_value(serde_json::Value::Object(m.state.clone())).ok()
            })
        })
        .collect();
    people.sort_by(|a, b| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then(a.account_id.cmp(&b.account_id))
    });
    people
}

/// Others' typing indicators with expiry.
#[derive(Clone, Debug)]
pub struct TypingIndicators {
    me: Uuid,
    typing: BTreeMap<Uuid, (String, Millis)>,
}

impl TypingIndicators {
    /// Indicators as seen by account `me` (whose own broadcasts are ignored).
    pub fn new(me: Uuid) -> Self {
        Self {
            me,
            typing: BTreeMap::new(),
        }
    }

    /// Takes a typing broadcast received at `now`.
    pub fn apply(&mut self, event: &Typing, now: Millis) {
        if event.account_id == self.me {
            return;
        }
        if event.typing {
            self.typing.insert(
                event.account_id,
                (event.display_name.clone(), now + TYPING_TTL),
            );
        } else {
            self.typing.remove(&event.account_id);
        }
    }

    /// Someone left the channel or sent a message: they are not typing.
    pub fn clear(&mut self, account: Uuid) {
        self.typing.remove(&account);
    }

    /// Names of those typing at `now`, sorted.
    pub fn names(&self, now: Millis) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .typing
            .values()
            .filter(|(_, until)| now < *until)
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// Forgets expired indicators.
    pub fn prune(&mut self, now: Millis) {
        self.typing.retain(|_, (_, until)| now < *until);
    }

    /// When the next indicator expires (to re-render then).
    pub fn next_expiry(&self) -> Option<Millis> {
        self.typing.values().map(|(_, until)| *until).min()
    }
}

/// Decides when this client broadcasts typing started/stopped.
#[derive(Clone, Debug, Default)]
pub struct TypingThrottle {
    last_sent: Option<Millis>,
    last_input: Option<Millis>,
}

impl TypingThrottle {
    /// The user typed at `now`: `Some(true)` if "typing" should be sent.
    pub fn on_input(&mut self, now: Millis) -> Option<bool> {
        self.last_input = Some(now);
        let due = self
            .last_sent
            .is_none_or(|sent| now.since(sent) >= TYPING_RESEND);
        if due {
            self.last_sent = Some(now);
            Some(true)
        } else {
            None
        }
    }

    /// Time passed, or the message was sent (`sent = true`): `Some(false)`
    /// if "stopped" should be sent.
    pub fn on_idle(&mut self, now: Millis, sent: bool) -> Option<bool> {
        let idle = self
            .last_input
            .is_some_and(|input| sent || now.since(input) >= TYPING_IDLE);
        if idle && self.last_sent.is_some() {
            self.last_sent = None;
            self.last_input = None;
            Some(false)
        } else {
            None
        }
    }

    /// When [`TypingThrottle::on_idle`] should be called next.
    pub fn idle_deadline(&self) -> Option<Millis> {
        self.last_sent
            .and(self.last_input)
            .map(|input| input + TYPING_IDLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typing(id: u128, name: &str, on: bool) -> Typing {
        Typing {
            account_id: Uuid::from_u128(id),
            display_name: name.into(),
            typing: on,
        }
    }

    #[test]
    fn indicators_expire_and_stop() {
        let mut t = TypingIndicators::new(Uuid::from_u128(1));
        t.apply(&typing(1, "Me", true), Millis(0));
        t.apply(&typing(3, "Zoe", true), Millis(0));
        t.apply(&typing(2, "Ada", true), Millis(2_000));
        assert_eq!(
            t.names(Millis(2_000)),
            vec!["Ada", "Zoe"],
            "own typing is not shown"
        );
        assert_eq!(t.next_expiry(), Some(Millis(6_000)));
        assert_eq!(t.names(Millis(6_000)), vec!["Ada"]);
        // A repeat extends the indicator.
        t.apply(&typing(2, "Ada", true), Millis(7_000));
        assert_eq!(t.names(Millis(12_000)), vec!["Ada"]);
        t.apply(&typing(2, "Ada", false), Millis(12_000));
        assert!(t.names(Millis(12_000)).is_empty());
        t.apply(&typing(3, "Zoe", true), Millis(20_000));
        t.clear(Uuid::from_u128(3));
        t.prune(Millis(20_000));
        assert_eq!(t.next_expiry(), None);
    }

    #[test]
    fn throttle_sends_start_every_three_seconds_and_stop_when_idle() {
        let mut th = TypingThrottle::default();
        assert_eq!(th.on_idle(Millis(0), false), None, "never started");
        assert_eq!(th.on_input(Millis(0)), Some(true));
        assert_eq!(th.on_input(Millis(2_999)), None);
        assert_eq!(th.on_input(Millis(3_000)), Some(true));
        assert_eq!(th.idle_deadline(), Some(Millis(7_000)));
        assert_eq!(th.on_idle(Millis(6_999), false), None);
        assert_eq!(th.on_idle(Millis(7_000), false), Some(false));
        assert_eq!(th.on_idle(Millis(8_000), false), None, "stopped once");
        // Sending the message stops at once.
        assert_eq!(th.on_input(Millis(9_000)), Some(true));
        assert_eq!(th.on_idle(Millis(9_100), true), Some(false));
        assert_eq!(
            th.on_input(Millis(9_200)),
            Some(true),
            "a new burst starts anew"
        );
    }

    #[test]
    fn online_people_once_each_by_name() {
        let mut p = Presence::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        p.apply_state(&json!({
            a.to_string(): {"metas": [
                {"phx_ref": "1", "account_id": a, "display_name": "zed", "online_at": "t"},
                {"phx_ref": "2", "account_id": a, "display_name": "zed", "online_at": "t2"}
            ]},
            b.to_string(): {"metas": [{"phx_ref": "3", "account_id": b, "display_name": "Ada", "online_at": "t"}]},
            "junk": {"metas": [{"phx_ref": "4", "hello": 1}]}
        }));
        let people = online(&p);
        let names: Vec<_> = people.iter().map(|p| p.display_name.as_str()).collect();
        assert_eq!(names, vec!["Ada", "zed"]);
    }
}
