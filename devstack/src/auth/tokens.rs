//! What Auth signs and hands out: access-token claims, opaque refresh
//! tokens, and the refresh-token rotation rule. Pure: the database and the
//! clock are the caller's.

use serde_json::{json, Value};

/// The facts of a user and session an access token states.
#[derive(Debug, Clone)]
pub struct TokenSubject<'a> {
    /// `auth.users.id`.
    pub user_id: &'a str,
    /// `auth.users.aud`.
    pub aud: &'a str,
    /// `auth.users.role`.
    pub role: &'a str,
    /// Email, `""` when none.
    pub email: &'a str,
    /// Phone, `""` when none.
    pub phone: &'a str,
    /// `raw_app_meta_data`.
    pub app_metadata: &'a Value,
    /// `raw_user_meta_data`.
    pub user_metadata: &'a Value,
    /// `auth.sessions.id`.
    pub session_id: &'a str,
    /// How the session signed in (`password`, `anonymous`) and when.
    pub amr: &'a [(String, i64)],
    /// `auth.users.is_anonymous`.
    pub is_anonymous: bool,
}

/// The claims of an access token issued at `iat` for `ttl` seconds, with
/// issuer `iss` (`<url>/auth/v1`), in GoTrue's order.
pub fn access_claims(subject: &TokenSubject<'_>, iss: &str, iat: i64, ttl: i64) -> Value {
    let amr: Vec<Value> = subject
        .amr
        .iter()
        .map(|(method, timestamp)| json!({"method": method, "timestamp": timestamp}))
        .collect();
    json!({
        "iss": iss,
        "sub": subject.user_id,
        "aud": subject.aud,
        "exp": iat + ttl,
        "iat": iat,
        "email": subject.email,
        "phone": subject.phone,
        "app_metadata": subject.app_metadata,
        "user_metadata": subject.user_metadata,
        "role": subject.role,
        "aal": "aal1",
        "amr": amr,
        "session_id": subject.session_id,
        "is_anonymous": subject.is_anonymous,
    })
}

/// A new refresh token in GoTrue's first format: 12 characters `[a-z0-9]`.
pub fn new_refresh_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    // 256 is not a multiple of 36; the slight bias does not matter for a
    // token looked up by equality and revoked on first use.
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Whether a presented refresh token has a shape GoTrue accepts.
pub fn refresh_token_shape_ok(token: &str) -> bool {
    token.len() >= 12 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The state of a presented refresh token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Presented {
    /// Already rotated away.
    pub revoked: bool,
    /// It is the parent of the session's newest token (the client lost the
    /// answer to its last refresh).
    pub parent_of_current: bool,
    /// Seconds since it was revoked (its `updated_at`).
    pub seconds_since_revoked: f64,
}

/// What a refresh does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// Revoke the presented token and issue a child.
    IssueChild,
    /// Hand back the session's current token again.
    ReturnCurrent,
    /// Reuse of an old token: revoke every token of the session and refuse
    /// (`refresh_token_already_used`).
    ReuseDetected,
}

/// GoTrue's rotation rule (`RefreshTokenGrant`, first token format):
/// a live token rotates; the parent of the current token gives the current
/// one back; a token revoked within the reuse interval rotates again; any
/// older reuse means the token leaked and ends the session.
pub fn rotation(token: Presented, reuse_interval_secs: f64) -> Rotation {
    if !token.revoked {
        Rotation::IssueChild
    } else if token.parent_of_current {
        Rotation::ReturnCurrent
    } else if token.seconds_since_revoked <= reuse_interval_secs {
        Rotation::IssueChild
    } else {
        Rotation::ReuseDetected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_carry_what_supabase_auth_puts_in_them() {
        let app = json!({"provider": "email", "providers": ["email"]});
        let user = json!({"name": "Ada"});
        let amr = [("password".to_string(), 100)];
        let subject = TokenSubject {
            user_id: "u1",
            aud: "authenticated",
            role: "authenticated",
            email: "ada@example.com",
            phone: "",
            app_metadata: &app,
            user_metadata: &user,
            session_id: "s1",
            amr: &amr,
            is_anonymous: false,
        };
        let c = access_claims(&subject, "http://x/auth/v1", 100, 3600);
        for claim in [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "email",
            "phone",
            "role",
            "aal",
            "amr",
            "session_id",
            "is_anonymous",
            "app_metadata",
            "user_metadata",
        ] {
            assert!(c.get(claim).is_some(), "{claim}");
        }
        assert_eq!(c["exp"], 3700);
        assert_eq!(c["amr"][0]["method"], "password");
        assert_eq!(c["phone"], "");
    }

    #[test]
    fn refresh_tokens_are_twelve_lowercase_alphanumerics_and_differ() {
        let a = new_refresh_token();
        assert_eq!(a.len(), 12);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, new_refresh_token());
        assert!(refresh_token_shape_ok(&a));
        assert!(!refresh_token_shape_ok("short"));
        assert!(!refresh_token_shape_ok("not-alnum-token"));
    }

    #[test]
    fn rotation_follows_gotrue() {
        let live = Presented {
            revoked: false,
            parent_of_current: false,
            seconds_since_revoked: 0.0,
        };
        assert_eq!(rotation(live, 10.0), Rotation::IssueChild);
        let lost_answer = Presented {
            revoked: true,
            parent_of_current: true,
            seconds_since_revoked: 500.0,
        };
        assert_eq!(rotation(lost_answer, 10.0), Rotation::ReturnCurrent);
        let racing = Presented {
            revoked: true,
            parent_of_current: false,
            seconds_since_revoked: 3.0,
        };
        assert_eq!(rotation(racing, 10.0), Rotation::IssueChild);
        let stolen = Presented {
            seconds_since_revoked: 11.0,
            ..racing
        };
        assert_eq!(rotation(stolen, 10.0), Rotation::ReuseDetected);
    }
}
