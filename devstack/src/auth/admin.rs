//! The admin API, for the secret (service-role) key: create, list, get,
//! update (including bans) and delete users (`internal/api/admin.go` in
//! supabase/auth).

use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::error::AuthError;
use super::store::{CreateError, NewUser, UpdateError, UserChanges};
use super::user::{email_exists, object_member};
use super::{validate, Auth, Call, Reply};

/// Routes under `/admin/users`.
pub(super) async fn route(auth: &Auth, call: &Call, rest: &[&str]) -> Result<Reply, AuthError> {
    auth.require_admin(call)?;
    match (&call.method, rest) {
        (&Method::GET, []) => list(auth, call).await,
        (&Method::POST, []) => create(auth, call).await,
        (method, [id]) => {
            let id: Uuid = id.parse().map_err(|_| {
                AuthError::new(
                    StatusCode::NOT_FOUND,
                    "validation_failed",
                    "user_id must be an UUID",
                )
            })?;
            match *method {
                Method::GET => auth
                    .store
                    .user(id)
                    .await?
                    .map(Reply::Json)
                    .ok_or_else(AuthError::user_not_found),
                Method::PUT => update(auth, call, id).await,
                Method::DELETE => delete(auth, call, id).await,
                _ => Err(not_found()),
            }
        }
        _ => Err(not_found()),
    }
}

fn not_found() -> AuthError {
    AuthError::new(StatusCode::NOT_FOUND, "not_found", "Path not found")
}

async fn list(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let number =
        |name: &str, default: i64| -> Result<i64, AuthError> {
            match call.query(name) {
                None | Some("") => Ok(default),
                Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    AuthError::validation(format!("Bad Pagination Parameters: {name}"))
                }),
            }
        };
    let page = number("page", 1)?;
    let per_page = number("per_page", 50)?.min(1000);
    let (users, total) = auth.store.list_users(page, per_page).await?;
    let last = ((total + per_page - 1) / per_page).max(1);
    let base = format!("{}/auth/v1/admin/users", auth.app.url);
    let mut links = Vec::new();
    if page < last {
        links.push(format!(
            "<{base}?page={}&per_page={per_page}>; rel=\"next\"",
            page + 1
        ));
    }
    links.push(format!(
        "<{base}?page={last}&per_page={per_page}>; rel=\"last\""
    ));
    Ok(Reply::JsonWith(
        json!({ "users": users, "aud": "authenticated" }),
        vec![
            ("x-total-count", total.to_string()),
            ("link", links.join(", ")),
        ],
    ))
}

fn bool_member(body: &Map<String, Value>, name: &str) -> bool {
    body.get(name).and_then(Value::as_bool).unwrap_or(false)
}

async fn create(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let body = call.json()?;
    let email = match body.get("email").and_then(Value::as_str) {
        Some(e) if !e.is_empty() => Some(validate::email(e)?),
        _ => None,
    };
    if email.is_none() {
        return Err(AuthError::validation(
            "Cannot create a user without either an email or phone",
        ));
    }
    let id = match body.get("id").and_then(Value::as_str) {
        Some(id) => Some(
            id.parse::<Uuid>()
                .map_err(|_| AuthError::validation("id must be an UUID"))?,
        ),
        None => None,
    };
    // GoTrue does not check password strength here; without a password
    // the user gets a random one (and can only sign in another way).
    let password = match body.get("password").and_then(Value::as_str) {
        Some(p) => {
            if p.len() > 72 {
                return Err(AuthError::validation(
                    "Password cannot be longer than 72 characters",
                ));
            }
            p.to_string()
        }
        None => crate::gateway::random_token(64),
    };
    let created = auth
        .store
        .create_user(NewUser {
            id,
            email,
            password: Some(password),
            confirmed: bool_member(&body, "email_confirm"),
            user_metadata: object_member(&body, "user_metadata")?.unwrap_or_default(),
            app_metadata: object_member(&body, "app_metadata")?.unwrap_or_default(),
            anonymous: false,
            role: body
                .get("role")
                .and_then(Value::as_str)
                .unwrap_or("authenticated")
                .to_string(),
        })
        .await;
    let user = match created {
        Ok(user) => user,
        Err(CreateError::Exists) => return Err(email_exists()),
        Err(CreateError::Rejected(_)) => {
            return Err(AuthError::unexpected("Database error creating new user"))
        }
        Err(CreateError::Other(e)) => return Err(e),
    };
    if let Some(ban) = body.get("ban_duration").and_then(Value::as_str) {
        let id = super::session::user_id_of(&user)?;
        return update_with(auth, id, ban_changes(ban)?).await;
    }
    Ok(Reply::Json(user))
}

fn ban_changes(ban: &str) -> Result<UserChanges, AuthError> {
    Ok(UserChanges {
        ban_seconds: Some(match validate::ban_duration(ban)? {
            validate::Ban::Lift => None,
            validate::Ban::For(secs) => Some(secs),
        }),
        ..UserChanges::default()
    })
}

async fn update(auth: &Auth, call: &Call, id: Uuid) -> Result<Reply, AuthError> {
    let body = call.json()?;
    let mut changes = match body.get("ban_duration").and_then(Value::as_str) {
        Some(ban) => ban_changes(ban)?,
        None => UserChanges::default(),
    };
    if let Some(email) = body.get("email").and_then(Value::as_str) {
        changes.email = Some(validate::email(email)?);
    }
    if let Some(password) = body.get("password").and_then(Value::as_str) {
        validate::password(password, auth.config().min_password_length)?;
        changes.password = Some(password.to_string());
    }
    changes.user_metadata = object_member(&body, "user_metadata")?;
    changes.app_metadata = object_member(&body, "app_metadata")?;
    changes.confirm_email = bool_member(&body, "email_confirm");
    changes.role = body.get("role").and_then(Value::as_str).map(str::to_string);
    update_with(auth, id, changes).await
}

async fn update_with(auth: &Auth, id: Uuid, changes: UserChanges) -> Result<Reply, AuthError> {
    auth.store
        .update_user(id, changes, None)
        .await
        .map(Reply::Json)
        .map_err(|e| match e {
            UpdateError::NotFound => AuthError::user_not_found(),
            UpdateError::EmailExists => email_exists(),
            UpdateError::Other(e) => e,
        })
}

async fn delete(auth: &Auth, call: &Call, id: Uuid) -> Result<Reply, AuthError> {
    let body = call.json()?;
    let soft = bool_member(&body, "should_soft_delete");
    if auth.store.delete_user(id, soft).await? {
        Ok(Reply::Json(json!({})))
    } else {
        Err(AuthError::user_not_found())
    }
}
