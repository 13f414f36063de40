//! How a stack's Auth behaves: the settings a Supabase project (or the
//! CLI's `config.toml`) exposes for what a chat needs.

use std::time::Duration;

/// Auth settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthConfig {
    /// New users are confirmed at once (the CLI's local default) instead
    /// of waiting for a confirmation link.
    pub autoconfirm: bool,
    /// `POST /signup` is open.
    pub signup_enabled: bool,
    /// Anonymous sign-ins are allowed.
    pub anonymous_enabled: bool,
    /// Lifetime of access tokens (GoTrue's `JWT_EXP`, 3600 s).
    pub jwt_expiry: Duration,
    /// Shortest password accepted (GoTrue's minimum is 6).
    pub min_password_length: usize,
    /// How long a rotated refresh token may still be used (the CLI's 10 s).
    pub refresh_reuse_interval: Duration,
    /// Per-address rate limits.
    pub rate_limits: RateLimits,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            autoconfirm: true,
            signup_enabled: true,
            anonymous_enabled: true,
            jwt_expiry: Duration::from_secs(3600),
            min_password_length: 6,
            refresh_reuse_interval: Duration::from_secs(10),
            rate_limits: RateLimits::default(),
        }
    }
}

/// One limit: `count` requests per `period`, in bursts of at most `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Requests allowed per period.
    pub count: u32,
    /// The period.
    pub period: Duration,
    /// Most requests allowed at once.
    pub burst: u32,
}

impl Limit {
    /// `count` per `period` with GoTrue's burst of 30.
    pub const fn per(count: u32, period: Duration) -> Limit {
        Limit {
            count,
            period,
            burst: 30,
        }
    }
}

/// GoTrue's per-address limits (`apilimiter`), with Supabase's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Off: no limit applies (for test suites that sign up many users from
    /// one address).
    pub enabled: bool,
    /// Every `/token` grant: 150 per 5 minutes.
    pub token: Limit,
    /// Sign-ups with an email, and `PUT /user`: 30 per 5 minutes.
    pub sign_ups: Limit,
    /// Anonymous sign-ins: 30 per hour.
    pub anonymous: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            token: Limit::per(150, Duration::from_secs(300)),
            sign_ups: Limit::per(30, Duration::from_secs(300)),
            anonymous: Limit::per(30, Duration::from_secs(3600)),
        }
    }
}
