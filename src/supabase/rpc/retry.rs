//! When to try a failed call again.
//!
//! Only calls the caller declares [`Idempotency::Idempotent`] are retried:
//! reads, and writes that the server deduplicates (a message send carries a
//! client-generated id, so a repeated send cannot create a second message).
//!
//! ```
//! use std::time::Duration;
//! use workflow_chat::supabase::rpc::{Idempotency, RetryPolicy, RpcError};
//! let policy = RetryPolicy::default();
//! let timeout = RpcError::Timeout;
//! assert_eq!(policy.delay_before_retry(1, &timeout, Idempotency::Idempotent), Some(Duration::from_millis(500)));
//! assert_eq!(policy.delay_before_retry(1, &timeout, Idempotency::NotIdempotent), None);
//! ```

use std::time::Duration;

use super::RpcError;

/// Whether repeating a call is harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating the call has the same effect as making it once.
    Idempotent,
    /// Repeating the call may act twice; never retried automatically.
    NotIdempotent,
}

/// Retry limits and delays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delays before the 1st, 2nd, ... retry; its length is the retry count.
    pub delays: Vec<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            delays: [500, 1_000, 2_000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self { delays: Vec::new() }
    }

    /// How long to wait before retry number `retry` (1-based) after `error`,
    /// or `None` to give up and return the error.
    pub fn delay_before_retry(
        &self,
        retry: usize,
        error: &RpcError,
        idempotency: Idempotency,
    ) -> Option<Duration> {
        if idempotency == Idempotency::NotIdempotent || !error.is_transient() || retry == 0 {
            return None;
        }
        self.delays.get(retry - 1).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_then_gives_up() {
        let p = RetryPolicy::default();
        let e = RpcError::Network("down".into());
        let delays: Vec<_> = (1..=4)
            .map(|n| p.delay_before_retry(n, &e, Idempotency::Idempotent))
            .collect();
        assert_eq!(
            delays,
            vec![
                Some(Duration::from_millis(500)),
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                None
            ]
        );
    }

    #[test]
    fn never_retries_permanent_errors_or_unsafe_calls() {
        let p = RetryPolicy::default();
        let forbidden = RpcError::from_response(403, "{}");
        assert_eq!(
            p.delay_before_retry(1, &forbidden, Idempotency::Idempotent),
            None
        );
        let e503 = RpcError::from_response(503, "{}");
        assert_eq!(
            p.delay_before_retry(1, &e503, Idempotency::NotIdempotent),
            None
        );
        assert_eq!(
            RetryPolicy::none().delay_before_retry(1, &e503, Idempotency::Idempotent),
            None
        );
    }
}
