//! The one wall clock of devstack. Services read the time here so that the
//! rules that depend on it (token expiry, signed URLs, refresh-token reuse
//! windows) can also be driven from a fixed time in tests, by taking `now`
//! as an argument.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, with sub-second precision.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Whole seconds since the Unix epoch.
pub fn unix_secs() -> i64 {
    unix_now().floor() as i64
}

/// Milliseconds since the Unix epoch.
pub fn unix_millis() -> i64 {
    (unix_now() * 1000.0).floor() as i64
}
