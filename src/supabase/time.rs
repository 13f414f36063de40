//! Time as the pure parts of the client see it.
//!
//! `std::time::Instant` does not exist in the browser, so the state machines
//! take the current time as [`Millis`] from the caller: the browser driver
//! reads the wall clock, tests pass a fake clock.

use std::ops::{Add, Sub};
use std::time::Duration;

/// Milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The browser's wall clock.
    pub fn now() -> Millis {
        Millis(js_sys::Date::now().max(0.0) as u64)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// Seconds since the epoch, as JWT claims count time.
    pub fn as_secs(self) -> i64 {
        (self.0 / 1000) as i64
    }

    /// From seconds since the epoch (JWT `exp`, `iat`).
    pub fn from_secs(secs: i64) -> Millis {
        Millis((secs.max(0) as u64).saturating_mul(1000))
    }
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, d: Duration) -> Millis {
        Millis(self.0.saturating_add(d.as_millis() as u64))
    }
}

impl Sub<Duration> for Millis {
    type Output = Millis;
    fn sub(self, d: Duration) -> Millis {
        Millis(self.0.saturating_sub(d.as_millis() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Millis(1_000);
        assert_eq!(t + Duration::from_millis(500), Millis(1_500));
        assert_eq!(t - Duration::from_secs(5), Millis(0));
        assert_eq!(Millis(10).since(Millis(20)), Duration::ZERO);
        assert_eq!(Millis::from_secs(2).as_secs(), 2);
    }
}
