//! Who is in a session and who is typing.
//!
//! Online users come from the chat channel's presence list (one entry per
//! account, however many tabs it has open). Typing is an ephemeral
//! broadcast on the session's typing channel: an indicator expires on its
//! own if the "stopped" message is lost, and a client announces typing at
//! most once per [`TYPING_RESEND`] while the user keeps typing.
//!
//! A typing broadcast names its sender only by the account id it claims, so
//! indicators are kept only for accounts present on the chat channel, and
//! named as their presence says. A member can still make another present
//! account appear to type; nothing more (`docs/api.md`, "Realtime events").
//!
//! ```
//! use uuid::Uuid;
//! use workflow_chat::chat::events::{PresenceInfo, Typing};
//! use workflow_chat::chat::presence::{TypingIndicators, TypingThrottle};
//! use workflow_chat::supabase::time::Millis;
//!
//! let me = Uuid::from_u128(1);
//! let ada = Uuid::from_u128(2);
//! let mut typing = TypingIndicators::new(me);
//! typing.apply(&Typing { account_id: ada, typing: true }, Millis(0));
//! assert!(typing.names(Millis(0)).is_empty()); // not present: not believed
//! typing.set_present(&[PresenceInfo { account_id: ada, display_name: "Ada".into(), online_at: "t".into() }]);
//! typing.apply(&Typing { account_id: ada, typing: true }, Millis(0));
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
/// States that do not have the documented shape, or whose `account_id` is
/// not the presence key they were tracked under, are skipped.
pub fn online(presence: &Presence) -> Vec<PresenceInfo> {
    let mut people: Vec<PresenceInfo> = presence
        .entries()
        .iter()
        .filter_map(|(key, metas)| {
            metas.iter().find_map(|m| {
                serde_json::from_value::<PresenceInfo>(serde_json::Value::Object(m.state.clone()))
                    .ok()
                    .filter(|info| info.account_id.to_string() == *key)
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

/// Others' typing indicators with expiry, believed only for accounts
/// present on the session's chat channel.
#[derive(Clone, Debug)]
pub struct TypingIndicators {
    me: Uuid,
    present: BTreeMap<Uuid, String>,
    typing: BTreeMap<Uuid, Millis>,
}

impl TypingIndicators {
    /// Indicators as seen by account `me` (whose own broadcasts are ignored).
    pub fn new(me: Uuid) -> Self {
        Self {
            me,
            present: BTreeMap::new(),
            typing: BTreeMap::new(),
        }
    }

    /// Who is present now (from [`online`]), after every presence change:
    /// indicators of those who left go, and names come from here.
    pub fn set_present(&mut self, people: &[PresenceInfo]) {
        self.present = people
            .iter()
            .map(|p| (p.account_id, p.display_name.clone()))
            .collect();
        let present = &self.present;
        self.typing.retain(|id, _| present.contains_key(id));
    }

    /// Takes a typing broadcast received at `now`. Ignored for this
    /// client's own account and for accounts not present.
    pub fn apply(&mut self, event: &Typing, now: Millis) {
        if event.account_id == self.me || !self.present.contains_key(&event.account_id) {
            return;
        }
        if event.typing {
            self.typing.insert(event.account_id, now + TYPING_TTL);
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
            .iter()
            .filter(|(_, until)| now < **until)
            .filter_map(|(id, _)| self.present.get(id).map(String::as_str))
            .collect();
        names.sort_unstable();
        names
    }

    /// Forgets expired indicators.
    pub fn prune(&mut self, now: Millis) {
        self.typing.retain(|_, until| now < *until);
    }

    /// When the next indicator expires (to re-render then).
    pub fn next_expiry(&self) -> Option<Millis> {
        self.typing.values().min().copied()
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

    fn typing(id: u128, on: bool) -> Typing {
        Typing {
            account_id: Uuid::from_u128(id),
            typing: on,
        }
    }

    fn person(id: u128, name: &str) -> PresenceInfo {
        PresenceInfo {
            account_id: Uuid::from_u128(id),
            display_name: name.into(),
            online_at: "t".into(),
        }
    }

    #[test]
    fn indicators_expire_and_stop() {
        let mut t = TypingIndicators::new(Uuid::from_u128(1));
        t.set_present(&[person(1, "Me"), person(2, "Ada"), person(3, "Zoe")]);
        t.apply(&typing(1, true), Millis(0));
        t.apply(&typing(3, true), Millis(0));
        t.apply(&typing(2, true), Millis(2_000));
        assert_eq!(
            t.names(Millis(2_000)),
            vec!["Ada", "Zoe"],
            "own typing is not shown"
        );
        assert_eq!(t.next_expiry(), Some(Millis(6_000)));
        assert_eq!(t.names(Millis(6_000)), vec!["Ada"]);
        // A repeat extends the indicator.
        t.apply(&typing(2, true), Millis(7_000));
        assert_eq!(t.names(Millis(12_000)), vec!["Ada"]);
        t.apply(&typing(2, false), Millis(12_000));
        assert!(t.names(Millis(12_000)).is_empty());
        t.apply(&typing(3, true), Millis(20_000));
        t.clear(Uuid::from_u128(3));
        t.prune(Millis(20_000));
        assert_eq!(t.next_expiry(), None);
    }

    #[test]
    fn only_present_accounts_type_and_names_come_from_presence() {
        let mut t = TypingIndicators::new(Uuid::from_u128(1));
        t.apply(&typing(2, true), Millis(0));
        assert!(
            t.names(Millis(0)).is_empty(),
            "nobody is present: a claim about anyone is ignored"
        );
        assert_eq!(t.next_expiry(), None);

        t.set_present(&[person(2, "Ada")]);
        t.apply(&typing(2, true), Millis(0));
        t.apply(&typing(9, true), Millis(0));
        assert_eq!(t.names(Millis(0)), vec!["Ada"], "account 9 is not present");

        // Presence renames: the indicator follows the presence name.
        t.set_present(&[person(2, "Ada L.")]);
        assert_eq!(t.names(Millis(1)), vec!["Ada L."]);

        // Leaving the chat channel ends the indicator, and it stays gone
        // until the account is present again.
        t.set_present(&[]);
        assert!(t.names(Millis(2)).is_empty());
        assert_eq!(t.next_expiry(), None);
        t.set_present(&[person(2, "Ada")]);
        assert!(t.names(Millis(3)).is_empty());
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

    #[test]
    fn a_state_tracked_under_another_key_is_not_that_account() {
        let mut p = Presence::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        p.apply_state(&json!({
            a.to_string(): {"metas": [{"phx_ref": "1", "account_id": b, "display_name": "Bob?", "online_at": "t"}]},
            b.to_string(): {"metas": [
                {"phx_ref": "2", "account_id": a, "display_name": "Ada?", "online_at": "t"},
                {"phx_ref": "3", "account_id": b, "display_name": "Bob", "online_at": "t"}
            ]}
        }));
        assert_eq!(online(&p), vec![person(2, "Bob")]);
    }
}
