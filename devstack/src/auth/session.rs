//! Signing up, signing in (password and refresh-token grants) and
//! signing out (`internal/api/signup.go`, `anonymous.go`, `token.go`,
//! `token_refresh.go`, `logout.go` in supabase/auth).

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::error::AuthError;
use super::ratelimit::Bucket;
use super::store::{CreateError, NewUser, Refreshed};
use super::{validate, Auth, Call, Reply};

fn text<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn metadata(body: &Map<String, Value>) -> Result<Map<String, Value>, AuthError> {
    match body.get("data") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(AuthError::bad_json("\"data\" must be an object")),
    }
}

/// `POST /signup`: with an email and password, or, with neither, an
/// anonymous sign-in.
pub(super) async fn signup(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let body = call.json()?;
    let config = auth.config();
    let email = text(&body, "email");
    let phone = text(&body, "phone");
    if email.is_none() && phone.is_none() {
        return anonymous(auth, call, &body).await;
    }
    if !config.signup_enabled {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    let Some(email) = email else {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "phone_provider_disabled",
            "Phone signups are disabled",
        ));
    };
    auth.limit(call, Bucket::SignUp, config.rate_limits.sign_ups)?;
    let email = validate::email(email)?;
    let password = text(&body, "password")
        .ok_or_else(|| AuthError::validation("Signup requires a valid password"))?;
    validate::password(password, config.min_password_length)?;
    let user_metadata = metadata(&body)?;

    if let Some((id, confirmed)) = auth.store.find_email(&email).await? {
        if confirmed && config.autoconfirm {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "user_already_exists",
                "User already registered",
            ));
        }
        if confirmed {
            // With confirmation on, GoTrue hides that the address is taken:
            // an answer shaped like a new, unconfirmed user.
            return Ok(Reply::Json(obfuscated_user(&email, &user_metadata)));
        }
        let user = auth.store.user(id).await?.unwrap_or(Value::Null);
        return Ok(Reply::Json(user));
    }
    let created = auth
        .store
        .create_user(NewUser {
            id: None,
            email: Some(email),
            password: Some(password.to_string()),
            confirmed: config.autoconfirm,
            user_metadata,
            app_metadata: Map::new(),
            anonymous: false,
            role: "authenticated".into(),
        })
        .await;
    let user = match created {
        Ok(user) => user,
        Err(CreateError::Exists) => {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "user_already_exists",
                "User already registered",
            ))
        }
        Err(CreateError::Rejected(_)) => {
            return Err(AuthError::unexpected("Database error saving new user"))
        }
        Err(CreateError::Other(e)) => return Err(e),
    };
    if !config.autoconfirm {
        return Ok(Reply::Json(user));
    }
    let user_id = user_id_of(&user)?;
    let session = auth
        .store
        .open_session(user_id, call.header("user-agent"))
        .await?;
    Ok(Reply::Json(auth.session_response(&session)))
}

async fn anonymous(
    auth: &Auth,
    call: &Call,
    body: &Map<String, Value>,
) -> Result<Reply, AuthError> {
    let config = auth.config();
    if !config.anonymous_enabled {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "anonymous_provider_disabled",
            "Anonymous sign-ins are disabled",
        ));
    }
    auth.limit(call, Bucket::Anonymous, config.rate_limits.anonymous)?;
    let created = auth
        .store
        .create_user(NewUser {
            id: None,
            email: None,
            password: None,
            confirmed: false,
            user_metadata: metadata(body)?,
            app_metadata: Map::new(),
            anonymous: true,
            role: "authenticated".into(),
        })
        .await;
    let user = match created {
        Ok(user) => user,
        Err(CreateError::Other(e)) => return Err(e),
        Err(_) => {
            return Err(AuthError::unexpected(
                "Database error creating anonymous user",
            ))
        }
    };
    let session = auth
        .store
        .open_session(user_id_of(&user)?, call.header("user-agent"))
        .await?;
    Ok(Reply::Json(auth.session_response(&session)))
}

/// A user object that looks like a fresh sign-up, for an address that is
/// already registered when confirmation is on.
fn obfuscated_user(email: &str, user_metadata: &Map<String, Value>) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(),
        "aud": "authenticated",
        "role": "authenticated",
        "email": email,
        "phone": "",
        "confirmation_sent_at": now_rfc3339(),
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": user_metadata,
        "identities": [],
        "created_at": now_rfc3339(),
        "updated_at": now_rfc3339(),
        "is_anonymous": false,
    })
}

fn now_rfc3339() -> String {
    crate::clock::rfc3339(crate::clock::unix_secs())
}

pub(super) fn user_id_of(user: &Value) -> Result<uuid::Uuid, AuthError> {
    user.get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AuthError::unexpected("a user without an id"))
}

/// `POST /token?grant_type=…`.
pub(super) async fn token(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let config = auth.config();
    auth.limit(call, Bucket::Token, config.rate_limits.token)?;
    let body = call.json()?;
    match call.query("grant_type") {
        Some("password") => password_grant(auth, call, &body).await,
        Some("refresh_token") => refresh_grant(auth, &body).await,
        _ => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_credentials",
            "unsupported_grant_type",
        )),
    }
}

async fn password_grant(
    auth: &Auth,
    call: &Call,
    body: &Map<String, Value>,
) -> Result<Reply, AuthError> {
    let password = text(body, "password").unwrap_or("");
    let email = match text(body, "email") {
        Some(e) => e.trim().to_lowercase(),
        None if text(body, "phone").is_some() => return Err(AuthError::invalid_credentials()),
        None => return Err(AuthError::validation("missing email or phone")),
    };
    let credentials = auth
        .store
        .credentials(&email, password)
        .await?
        .filter(|c| c.password_ok)
        .ok_or_else(AuthError::invalid_credentials)?;
    if !credentials.confirmed {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_not_confirmed",
            "Email not confirmed",
        ));
    }
    if credentials.banned {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "user_banned",
            "User is banned",
        ));
    }
    let session = auth
        .store
        .open_session(credentials.user_id, call.header("user-agent"))
        .await?;
    let mut response = auth.session_response(&session);
    if password.chars().count() < auth.config().min_password_length {
        // The password is right but no longer meets the policy.
        response["weak_password"] = json!({
            "message": format!(
                "Password should be at least {} characters.",
                auth.config().min_password_length
            ),
            "reasons": ["length"],
        });
    }
    Ok(Reply::Json(response))
}

async fn refresh_grant(auth: &Auth, body: &Map<String, Value>) -> Result<Reply, AuthError> {
    let token = text(body, "refresh_token").unwrap_or("");
    if !super::tokens::refresh_token_shape_ok(token) {
        return Err(AuthError::validation("Refresh token is not valid"));
    }
    let reuse = auth.config().refresh_reuse_interval.as_secs_f64();
    match auth.store.refresh(token, reuse).await? {
        Refreshed::Session(session) => Ok(Reply::Json(auth.session_response(&session))),
        Refreshed::NotFound => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )),
        Refreshed::AlreadyUsed => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_already_used",
            "Invalid Refresh Token: Already Used",
        )),
        Refreshed::Banned => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "user_banned",
            "Invalid Refresh Token: User Banned",
        )),
    }
}

/// `POST /logout?scope=global|local|others`.
pub(super) async fn logout(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let scope = validate::logout_scope(call.query("scope"))?;
    let signed_in = auth.signed_in(call).await?;
    auth.store
        .logout(
            signed_in.user_id,
            signed_in.session.map(|(id, _)| id),
            scope,
        )
        .await?;
    Ok(Reply::NoContent)
}
