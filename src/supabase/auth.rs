//! The access token's lifecycle.
//!
//! One [`TokenCell`] holds the signed-in user's token. The RPC and Storage
//! clients read it on every request; the Realtime socket subscribes to it and
//! sends every new token to its channels. A refresh replaces the token in the
//! cell; signing out empties it, which every subscriber sees at once.
//!
//! When to refresh is a pure function of the token and the clock
//! ([`plan_refresh`]), so its timing is tested natively:
//!
//! ```
//! use std::time::Duration;
//! use workflow_chat::supabase::auth::{plan_refresh, RefreshStep};
//! use workflow_chat::supabase::time::Millis;
//!
//! // A token issued at t = 0 s that expires at t = 3600 s is refreshed five
//! // minutes before it expires.
//! let (iat, exp) = (Some(Millis::from_secs(0)), Some(Millis::from_secs(3600)));
//! assert_eq!(plan_refresh(iat, exp, Millis::from_secs(0)), RefreshStep::Wait(Duration::from_secs(3300)));
//! assert_eq!(plan_refresh(iat, exp, Millis::from_secs(3400)), RefreshStep::Now);
//! assert_eq!(plan_refresh(iat, exp, Millis::from_secs(3600)), RefreshStep::Expired);
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use super::jwt::{Claims, JwtError};
use super::rpc::RpcError;
use super::time::Millis;

/// A user's access token with the claims the client needs.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    raw: String,
    claims: Claims,
}

impl fmt::Debug for AccessToken {
    // The token is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("sub", &self.claims.sub)
            .field("exp", &self.claims.exp)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// Reads a JWT's claims.
    pub fn parse(raw: impl Into<String>) -> Result<Self, JwtError> {
        let raw = raw.into();
        let claims = Claims::decode(&raw)?;
        Ok(Self { raw, claims })
    }

    /// The token as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The account id (`sub`).
    pub fn subject(&self) -> Option<&str> {
        self.claims.sub.as_deref()
    }

    /// When it was issued (`iat`).
    pub fn issued_at(&self) -> Option<Millis> {
        self.claims.iat.map(Millis::from_secs)
    }

    /// When it expires (`exp`); `None` for a token that never does.
    pub fn expires_at(&self) -> Option<Millis> {
        self.claims.exp.map(Millis::from_secs)
    }

    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: Millis) -> bool {
        self.expires_at().is_some_and(|exp| now >= exp)
    }

    /// What to do about refreshing it at `now`.
    pub fn refresh_step(&self, now: Millis) -> RefreshStep {
        plan_refresh(self.issued_at(), self.expires_at(), now)
    }
}

/// What the refresh loop should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshStep {
    /// The token does not expire.
    Never,
    /// Sleep this long, then ask again.
    Wait(Duration),
    /// Refresh now.
    Now,
    /// Too late: the token has expired; the user is signed out.
    Expired,
}

/// Earliest margin before expiry at which a token is refreshed.
pub const MIN_REFRESH_MARGIN: Duration = Duration::from_secs(10);
/// Latest margin before expiry at which a token is refreshed.
pub const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime assumed for a token without `iat`.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(3600);

/// Refresh a fifth of the lifetime before expiry, at least 10 s and at most
/// 5 minutes before. The margin covers a slow network, a retry or two, and
/// browsers throttling timers in background tabs.
pub fn plan_refresh(issued: Option<Millis>, expires: Option<Millis>, now: Millis) -> RefreshStep {
    let Some(expires) = expires else {
        return RefreshStep::Never;
    };
    if now >= expires {
        return RefreshStep::Expired;
    }
    let lifetime = issued
        .map(|iat| expires.since(iat))
        .filter(|l| !l.is_zero())
        .unwrap_or(ASSUMED_LIFETIME);
    let margin = (lifetime / 5).clamp(MIN_REFRESH_MARGIN, MAX_REFRESH_MARGIN);
    let refresh_at = expires - margin;
    if now >= refresh_at {
        RefreshStep::Now
    } else {
        RefreshStep::Wait(refresh_at.since(now))
    }
}

/// Delay before retrying a failed refresh (`attempt` counts failures from 1):
/// 1, 2, 5, 10 s then every 10 s, but never past expiry.
pub fn refresh_retry_delay(attempt: u32, expires: Option<Millis>, now: Millis) -> RefreshStep {
    let delay = Duration::from_secs(match attempt {
        0 | 1 => 1,
        2 => 2,
        3 => 5,
        _ => 10,
    });
    match expires {
        Some(exp) if now >= exp => RefreshStep::Expired,
        Some(exp) => RefreshStep::Wait(delay.min(exp.since(now))),
        None => RefreshStep::Wait(delay),
    }
}

type Listener = Rc<dyn Fn(Option<&AccessToken>)>;

struct Shared {
    token: RefCell<Option<AccessToken>>,
    listeners: RefCell<Vec<(u64, Listener)>>,
    next_id: Cell<u64>,
}

/// The one place the current token lives; cheap to clone (shared).
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use workflow_chat::supabase::auth::{AccessToken, TokenCell};
///
/// let cell = TokenCell::new();
/// let seen = Rc::new(Cell::new(0));
/// let counter = seen.clone();
/// cell.subscribe(move |token| counter.set(counter.get() + usize::from(token.is_some())));
/// cell.set(Some(AccessToken::parse("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln").unwrap()));
/// assert_eq!(seen.get(), 1);
/// cell.sign_out();
/// assert!(cell.get().is_none());
/// ```
#[derive(Clone)]
pub struct TokenCell {
    shared: Rc<Shared>,
}

impl fmt::Debug for TokenCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenCell")
            .field(&*self.shared.token.borrow())
            .finish()
    }
}

impl Default for TokenCell {
    fn default() -> Self {
        Self::new()
    }
}

/// Identifies a subscription, to end it with [`TokenCell::unsubscribe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerId(u64);

impl TokenCell {
    /// An empty cell (signed out).
    pub fn new() -> Self {
        Self {
            shared: Rc::new(Shared {
                token: RefCell::new(None),
                listeners: RefCell::new(Vec::new()),
                next_id: Cell::new(0),
            }),
        }
    }

    /// The current token.
    pub fn get(&self) -> Option<AccessToken> {
        self.shared.token.borrow().clone()
    }

    /// Replaces the token and tells every subscriber.
    pub fn set(&self, token: Option<AccessToken>) {
        *self.shared.token.borrow_mut() = token;
        // Listeners may read the cell or subscribe others: call them on a
        // snapshot, with no borrow held.
        let listeners: Vec<Listener> = self
            .shared
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        let token = self.get();
        for listener in listeners {
            listener(token.as_ref());
        }
    }

    /// Forgets the token: every client falls back to the anonymous key and
    /// the Realtime socket leaves its channels.
    pub fn sign_out(&self) {
        self.set(None);
    }

    /// Calls `listener` with every new token (or `None` on sign-out).
    pub fn subscribe(&self, listener: impl Fn(Option<&AccessToken>) + 'static) -> ListenerId {
        let id = self.shared.next_id.get();
        self.shared.next_id.set(id + 1);
        self.shared
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        ListenerId(id)
    }

    /// Ends a subscription.
    pub fn unsubscribe(&self, id: ListenerId) {
        self.shared
            .listeners
            .borrow_mut()
            .retain(|(l, _)| *l != id.0);
    }
}

/// Keeps the token in `cell` fresh until sign-out: sleeps until
/// [`plan_refresh`] says so, calls `refresh` with the current token, stores
/// the new one. Transient failures are retried; a refusal
/// ([`RpcError::Unauthenticated`]) or expiry signs out. Returns when the cell
/// is empty.
pub async fn keep_fresh<F, Fut>(cell: TokenCell, refresh: F)
where
    F: Fn(AccessToken) -> Fut,
    Fut: Future<Output = Result<AccessToken, RpcError>>,
{
    let mut failures = 0;
    loop {
        let Some(token) = cell.get() else { return };
        let now = Millis::now();
        let step = if failures == 0 {
            token.refresh_step(now)
        } else {
            refresh_retry_delay(failures, token.expires_at(), now)
        };
        match step {
            RefreshStep::Never => return,
            RefreshStep::Expired => {
                cell.sign_out();
                return;
            }
            RefreshStep::Wait(delay) => {
                gloo_timers::future::sleep(delay).await;
                // A planned wait re-plans, in case the token was replaced
                // meanwhile; a wait after a failure ends in another attempt.
                if failures == 0 {
                    continue;
                }
            }
            RefreshStep::Now => {}
        }
        // The user may have signed out, or signed in anew, while we slept.
        if cell.get().as_ref() != Some(&token) {
            failures = 0;
            continue;
        }
        match refresh(token.clone()).await {
            Ok(fresh) => {
                failures = 0;
                if cell.get().as_ref() == Some(&token) {
                    cell.set(Some(fresh));
                }
            }
            Err(RpcError::Unauthenticated(_)) => {
                cell.sign_out();
                return;
            }
            Err(_) => failures += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::jwt::tests::token_with;

    fn at(secs: i64) -> Millis {
        Millis::from_secs(secs)
    }

    #[test]
    fn one_hour_token_refreshes_five_minutes_early() {
        let (iat, exp) = (Some(at(1000)), Some(at(4600)));
        assert_eq!(
            plan_refresh(iat, exp, at(1000)),
            RefreshStep::Wait(Duration::from_secs(3300))
        );
        assert_eq!(
            plan_refresh(iat, exp, at(4299)),
            RefreshStep::Wait(Duration::from_secs(1))
        );
        assert_eq!(plan_refresh(iat, exp, at(4300)), RefreshStep::Now);
        assert_eq!(plan_refresh(iat, exp, at(4599)), RefreshStep::Now);
        assert_eq!(plan_refresh(iat, exp, at(4600)), RefreshStep::Expired);
    }

    #[test]
    fn short_tokens_refresh_a_fifth_before_expiry_but_at_least_ten_seconds() {
        // 100 s lifetime: margin 20 s.
        assert_eq!(
            plan_refresh(Some(at(0)), Some(at(100)), at(0)),
            RefreshStep::Wait(Duration::from_secs(80))
        );
        // 30 s lifetime: a fifth would be 6 s; the floor is 10 s.
        assert_eq!(
            plan_refresh(Some(at(0)), Some(at(30)), at(0)),
            RefreshStep::Wait(Duration::from_secs(20))
        );
        // 5 s lifetime: refresh at once.
        assert_eq!(
            plan_refresh(Some(at(0)), Some(at(5)), at(0)),
            RefreshStep::Now
        );
    }

    #[test]
    fn missing_claims() {
        assert_eq!(plan_refresh(Some(at(0)), None, at(0)), RefreshStep::Never);
        // No iat: assume an hour, so the 5 minute margin applies.
        assert_eq!(
            plan_refresh(None, Some(at(1000)), at(0)),
            RefreshStep::Wait(Duration::from_secs(700))
        );
    }

    #[test]
    fn retries_back_off_but_stop_at_expiry() {
        let exp = Some(at(100));
        let waits: Vec<_> = (1..=5)
            .map(|n| refresh_retry_delay(n, exp, at(0)))
            .collect();
        let secs = |s| RefreshStep::Wait(Duration::from_secs(s));
        assert_eq!(waits, vec![secs(1), secs(2), secs(5), secs(10), secs(10)]);
        assert_eq!(refresh_retry_delay(4, exp, at(97)), secs(3));
        assert_eq!(refresh_retry_delay(1, exp, at(100)), RefreshStep::Expired);
    }

    #[test]
    fn token_claims_and_redaction() {
        let raw = token_with(r#"{"sub":"acc","iat":10,"exp":70}"#);
        let t = AccessToken::parse(raw.clone()).unwrap();
        assert_eq!(t.subject(), Some("acc"));
        assert_eq!(t.expires_at(), Some(at(70)));
        assert!(!t.is_expired(at(69)) && t.is_expired(at(70)));
        // 60 s lifetime: a 12 s margin, so refresh at t = 58 s.
        assert_eq!(
            t.refresh_step(at(10)),
            RefreshStep::Wait(Duration::from_secs(48))
        );
        assert!(!format!("{t:?}").contains(&raw));
    }

    #[test]
    fn cell_notifies_and_unsubscribes() {
        let cell = TokenCell::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let id = cell.subscribe(move |t| {
            l.borrow_mut()
                .push(t.and_then(|t| t.subject().map(str::to_owned)))
        });
        cell.set(Some(
            AccessToken::parse(token_with(r#"{"sub":"a"}"#)).unwrap(),
        ));
        cell.sign_out();
        cell.unsubscribe(id);
        cell.set(Some(
            AccessToken::parse(token_with(r#"{"sub":"b"}"#)).unwrap(),
        ));
        assert_eq!(*log.borrow(), vec![Some("a".to_owned()), None]);
        assert_eq!(cell.get().unwrap().subject(), Some("b"));
    }
}
