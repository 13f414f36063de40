//! The signed-in user's own record: `GET /user` and `PUT /user`
//! (`internal/api/user.go` in supabase/auth).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::AuthError;
use super::ratelimit::Bucket;
use super::store::{UpdateError, UserChanges};
use super::{validate, Auth, Call, Reply};

/// Refuses banned users on user routes, as GoTrue's middleware does.
fn not_banned(user: &Value) -> Result<(), AuthError> {
    let banned = user
        .get("banned_until")
        .and_then(Value::as_str)
        .is_some_and(|until| until > crate::clock::rfc3339(crate::clock::unix_secs()).as_str());
    if banned {
        Err(AuthError::new(
            StatusCode::FORBIDDEN,
            "user_banned",
            "User is banned",
        ))
    } else {
        Ok(())
    }
}

/// `GET /user`.
pub(super) async fn get(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let signed_in = auth.signed_in(call).await?;
    not_banned(&signed_in.user)?;
    Ok(Reply::Json(signed_in.user))
}

/// `PUT /user`: metadata (`data`, shallow-merged, `null` deletes), email,
/// password. Changing the password signs out the user's other sessions.
pub(super) async fn update(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let config = auth.config();
    auth.limit(call, Bucket::SignUp, config.rate_limits.sign_ups)?;
    let signed_in = auth.signed_in(call).await?;
    not_banned(&signed_in.user)?;
    let body = call.json()?;
    if body.contains_key("app_metadata") {
        return Err(AuthError::new(
            StatusCode::FORBIDDEN,
            "not_admin",
            "Updating app_metadata requires admin privileges",
        ));
    }
    let mut changes = UserChanges::default();
    match body.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(data)) => changes.user_metadata = Some(data.clone()),
        Some(_) => return Err(AuthError::bad_json("\"data\" must be an object")),
    }
    let is_anonymous = signed_in
        .user
        .get("is_anonymous")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(email) = body.get("email").and_then(Value::as_str) {
        let email = validate::email(email)?;
        let current = signed_in.user.get("email").and_then(Value::as_str);
        if current != Some(email.as_str()) {
            changes.email = Some(email);
            // Without a mailer, the change is applied at once, as GoTrue
            // does with autoconfirm.
            changes.confirm_email = true;
        }
    }
    if let Some(password) = body.get("password").and_then(Value::as_str) {
        validate::password(password, config.min_password_length)?;
        let has_email = changes.email.is_some()
            || signed_in
                .user
                .get("email")
                .and_then(Value::as_str)
                .is_some_and(|e| !e.is_empty());
        if is_anonymous && !has_email {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Updating password of an anonymous user without an email or phone is not allowed",
            ));
        }
        if auth
            .store
            .password_matches(signed_in.user_id, password)
            .await?
        {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "same_password",
                "New password should be different from the old password.",
            ));
        }
        changes.password = Some(password.to_string());
    }
    let user = auth
        .store
        .update_user(
            signed_in.user_id,
            changes,
            signed_in.session.map(|(id, _)| id),
        )
        .await
        .map_err(|e| match e {
            UpdateError::EmailExists => email_exists(),
            UpdateError::NotFound => AuthError::new(
                StatusCode::FORBIDDEN,
                "user_not_found",
                "User from sub claim in JWT does not exist",
            ),
            UpdateError::Other(e) => e,
        })?;
    Ok(Reply::Json(user))
}

/// 422 `email_exists`.
pub(super) fn email_exists() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_exists",
        "A user with this email address has already been registered",
    )
}

/// An object member of a request body, if given.
pub(super) fn object_member(
    body: &Map<String, Value>,
    name: &str,
) -> Result<Option<Map<String, Value>>, AuthError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(_) => Err(AuthError::bad_json(format!("\"{name}\" must be an object"))),
    }
}
