//! Input rules of Supabase Auth: email addresses, passwords, logout scopes
//! and ban durations. Pure, so each rule is tested on its own.

use serde_json::json;

use super::error::AuthError;
use axum::http::StatusCode;

/// A lower-cased email address if `raw` looks like one (GoTrue checks the
/// format only; deliverability is the mailer's business).
pub fn email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 255
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(AuthError::validation(
            "Unable to validate email address: invalid format",
        ))
    }
}

/// Checks a new password: at least `min_length` characters (422
/// `weak_password` with the reason), at most 72 bytes (bcrypt's limit).
pub fn password(password: &str, min_length: usize) -> Result<(), AuthError> {
    if password.len() > 72 {
        return Err(AuthError::validation(
            "Password cannot be longer than 72 characters",
        ));
    }
    if password.chars().count() < min_length {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            format!("Password should be at least {min_length} characters."),
        )
        .with("weak_password", json!({"reasons": ["length"]})));
    }
    Ok(())
}

/// Which sessions a sign-out ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope {
    /// Every session of the user (the default).
    Global,
    /// The session of the token.
    Local,
    /// Every session but the token's.
    Others,
}

/// The `scope` query parameter of `/logout`.
pub fn logout_scope(raw: Option<&str>) -> Result<LogoutScope, AuthError> {
    match raw {
        None | Some("global") => Ok(LogoutScope::Global),
        Some("local") => Ok(LogoutScope::Local),
        Some("others") => Ok(LogoutScope::Others),
        Some(other) => Err(AuthError::validation(format!(
            "Unsupported logout scope {other:?}"
        ))),
    }
}

/// A ban: lift it, or last this many seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ban {
    /// `"none"`: unban.
    Lift,
    /// Banned for this long from now.
    For(f64),
}

/// Parses `ban_duration`: `"none"` or a Go duration (`"24h"`, `"1h30m"`,
/// `"876000h"`, `"90s"`, `"500ms"`).
pub fn ban_duration(raw: &str) -> Result<Ban, AuthError> {
    if raw == "none" {
        return Ok(Ban::Lift);
    }
    let invalid = || AuthError::validation(format!("invalid format for ban duration: {raw:?}"));
    let mut rest = raw;
    let mut seconds = 0.0;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let value: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        seconds += value * scale;
        rest = &rest[unit_len..];
    }
    Ok(Ban::For(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a@b",
            "a b@c.d",
            "a@@b.c",
            "a@.b.c",
            "a@b..c",
        ] {
            assert_eq!(email(bad).unwrap_err().code, "validation_failed", "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(password("secret", 6).is_ok());
        let weak = password("12345", 6).unwrap_err();
        assert_eq!(weak.code, "weak_password");
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(weak.message, "Password should be at least 6 characters.");
        assert_eq!(
            password(&"x".repeat(73), 6).unwrap_err().message,
            "Password cannot be longer than 72 characters"
        );
    }

    #[test]
    fn scopes() {
        assert_eq!(logout_scope(None).unwrap(), LogoutScope::Global);
        assert_eq!(logout_scope(Some("others")).unwrap(), LogoutScope::Others);
        assert_eq!(
            logout_scope(Some("all")).unwrap_err().message,
            "Unsupported logout scope \"all\""
        );
    }

    #[test]
    fn ban_durations() {
        assert_eq!(ban_duration("none").unwrap(), Ban::Lift);
        assert_eq!(ban_duration("24h").unwrap(), Ban::For(86_400.0));
        assert_eq!(ban_duration("1h30m").unwrap(), Ban::For(5_400.0));
        assert_eq!(ban_duration("1.5s").unwrap(), Ban::For(1.5));
        assert_eq!(ban_duration("500ms").unwrap(), Ban::For(0.5));
        for bad in ["", "forever", "12", "h", "3d"] {
            assert!(ban_duration(bad).is_err(), "{bad}");
        }
    }
}
