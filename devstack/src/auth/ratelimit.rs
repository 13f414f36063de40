//! Per-address token buckets, as GoTrue limits its endpoints: each bucket
//! holds up to `burst` requests and refills at `count / period`.

use std::collections::HashMap;
use std::sync::Mutex;

use super::config::Limit;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `/token` grants.
    Token,
    /// Sign-ups with an email, `PUT /user`.
    SignUp,
    /// Anonymous sign-ins.
    Anonymous,
}

#[derive(Debug, Clone, Copy)]
struct State {
    tokens: f64,
    at: f64,
}

/// The buckets of every address.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<(Bucket, String), State>>,
}

impl Limiter {
    /// Takes one request from `address`'s `bucket` at time `now` (seconds);
    /// false when the bucket is empty.
    pub fn allow(&self, bucket: Bucket, address: &str, limit: Limit, now: f64) -> bool {
        let rate = f64::from(limit.count) / limit.period.as_secs_f64().max(f64::MIN_POSITIVE);
        let burst = f64::from(limit.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let state = buckets
            .entry((bucket, address.to_string()))
            .or_insert(State {
                tokens: burst,
                at: now,
            });
        state.tokens = (state.tokens + (now - state.at).max(0.0) * rate).min(burst);
        state.at = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let limiter = Limiter::default();
        let limit = Limit {
            count: 30,
            period: Duration::from_secs(300),
            burst: 3,
        };
        for _ in 0..3 {
            assert!(limiter.allow(Bucket::SignUp, "a", limit, 0.0));
        }
        assert!(!limiter.allow(Bucket::SignUp, "a", limit, 0.0));
        // Another address and another bucket are independent.
        assert!(limiter.allow(Bucket::SignUp, "b", limit, 0.0));
        assert!(limiter.allow(Bucket::Token, "a", limit, 0.0));
        // 30 per 300 s: one more after 10 s, not before.
        assert!(!limiter.allow(Bucket::SignUp, "a", limit, 9.0));
        assert!(limiter.allow(Bucket::SignUp, "a", limit, 10.5));
        assert!(!limiter.allow(Bucket::SignUp, "a", limit, 10.6));
    }
}
