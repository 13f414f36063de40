//! `/auth/v1`: the Supabase Auth (GoTrue) API a chat needs: sign-up
//! (email + password, anonymous), the password and refresh-token grants,
//! sign-out in three scopes, the user's own record, settings, health, the
//! JWKS, and the admin API for the secret (service-role) key.
//!
//! Behaviour follows supabase/auth (`internal/api/*.go`); the protocol
//! facts are collected in supabase-wire section 7. Tokens are signed with
//! the stack's ES256 signing key and verified by the same key set as every
//! other service.

pub mod config;
pub mod error;
pub mod ratelimit;
pub mod store;
pub mod tokens;
pub mod validate;

mod admin;
mod session;
mod user;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use self::config::{AuthConfig, Limit};
use self::error::{ApiVersion, AuthError, API_VERSION};
use self::ratelimit::{Bucket, Limiter};
use self::store::Store;
use crate::clock::{unix_now, unix_secs};
use crate::gateway::{self, Forwarded};
use crate::http::parse_query;
use crate::server::SharedState;

/// The Auth service of a stack.
pub struct Auth {
    app: SharedState,
    store: Store,
    limiter: Limiter,
}

/// The routes of Auth, under `/auth/v1`.
pub fn service<S: Clone + Send + Sync + 'static>(state: &SharedState) -> Router<S> {
    let auth = Arc::new(Auth {
        app: state.clone(),
        store: Store::new(state.admin_db.clone()),
        limiter: Limiter::default(),
    });
    Router::new()
        .route("/auth/v1/.well-known/jwks.json", get(jwks))
        .route("/auth/v1/{*path}", any(dispatch))
        .with_state(auth)
}

/// One request to Auth, as the handlers see it.
pub(crate) struct Call {
    method: Method,
    path: Vec<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    version: ApiVersion,
    forwarded: Forwarded,
}

impl Call {
    /// A query parameter.
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as a JSON object (an empty body is an empty object).
    fn json(&self) -> Result<Map<String, Value>, AuthError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(AuthError::bad_json("the body must be a JSON object")),
            Err(e) => Err(AuthError::bad_json(e)),
        }
    }

    /// A header as text.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The address rate limits count against: the forwarded client address
    /// when a proxy or server passes one, else the connection's (loopback).
    fn client_address(&self) -> String {
        self.header("sb-forwarded-for")
            .or_else(|| self.header("x-forwarded-for"))
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| "local".to_string())
    }
}

impl Auth {
    fn config(&self) -> &AuthConfig {
        &self.app.auth
    }

    /// The `iss` of this stack's tokens.
    fn issuer(&self) -> String {
        format!("{}/auth/v1", self.app.url)
    }

    /// Counts a request against a limit; 429 when it is used up.
    fn limit(&self, call: &Call, bucket: Bucket, limit: Limit) -> Result<(), AuthError> {
        let limits = &self.config().rate_limits;
        if !limits.enabled
            || self
                .limiter
                .allow(bucket, &call.client_address(), limit, unix_now())
        {
            Ok(())
        } else {
            Err(AuthError::rate_limited())
        }
    }

    /// The verified claims of the user token in `Authorization`, GoTrue's
    /// way: a bearer token is required, must verify and be unexpired.
    fn bearer_claims(&self, call: &Call) -> Result<Map<String, Value>, AuthError> {
        let token = call
            .header("authorization")
            .and_then(gateway::bearer_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(AuthError::no_authorization)?;
        // An opaque key as bearer stands for its role's JWT, as behind the
        // gateway.
        let token = match call.forwarded.bearer.as_deref() {
            Some(mapped) if token.starts_with("sb_") => mapped,
            _ => token,
        };
        let (claims, _) =
            self.app.jwt.verify(token).map_err(|e| {
                AuthError::bad_jwt(format!("unable to parse or verify signature, {e}"))
            })?;
        match crate::jwt::number_claim(&claims, "exp") {
            Ok(Some(exp)) if exp <= unix_now() => Err(AuthError::bad_jwt(
                "token has invalid claims: token is expired",
            )),
            Err(_) => Err(AuthError::bad_jwt(
                "token has invalid claims: token contains an invalid number",
            )),
            _ => Ok(claims),
        }
    }

    /// The signed-in user of a request and their session: the token's `sub`
    /// and `session_id` must still exist (a signed-out session is refused
    /// with `session_not_found`, as GoTrue does).
    async fn signed_in(&self, call: &Call) -> Result<SignedIn, AuthError> {
        let claims = self.bearer_claims(call)?;
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::bad_jwt("invalid claim: missing sub claim"))?;
        let user_id: Uuid = sub
            .parse()
            .map_err(|_| AuthError::bad_jwt("invalid claim: sub claim must be a UUID"))?;
        let user = self.store.user(user_id).await?.ok_or_else(|| {
            AuthError::new(
                StatusCode::FORBIDDEN,
                "user_not_found",
                "User from sub claim in JWT does not exist",
            )
        })?;
        let session_id = match claims.get("session_id").and_then(Value::as_str) {
            Some(id) => {
                let id: Uuid = id.parse().map_err(|_| {
                    AuthError::bad_jwt("invalid claim: session_id claim must be a UUID")
                })?;
                let started = self.store.session(id, user_id).await?.ok_or_else(|| {
                    AuthError::new(
                        StatusCode::FORBIDDEN,
                        "session_not_found",
                        "Session from session_id claim in JWT does not exist",
                    )
                })?;
                Some((id, started))
            }
            None => None,
        };
        Ok(SignedIn {
            user_id,
            user,
            session: session_id,
        })
    }

    /// Requires the secret (service-role) key or another admin role.
    fn require_admin(&self, call: &Call) -> Result<(), AuthError> {
        let claims = self.bearer_claims(call)?;
        match claims.get("role").and_then(Value::as_str) {
            Some("service_role" | "supabase_admin") => Ok(()),
            _ => Err(AuthError::not_admin()),
        }
    }

    /// A session response (`access_token`, `refresh_token`, `user`, …) for
    /// a session that just opened or refreshed.
    fn session_response(&self, session: &store::Session) -> Value {
        let user = &session.user;
        let text = |name: &str| user.get(name).and_then(Value::as_str).unwrap_or("");
        let empty = json!({});
        let is_anonymous = user
            .get("is_anonymous")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let method = if is_anonymous {
            "anonymous"
        } else {
            "password"
        };
        let amr = [(method.to_string(), session.created_at)];
        let user_id = text("id").to_string();
        let session_id = session.id.to_string();
        let subject = tokens::TokenSubject {
            user_id: &user_id,
            aud: text("aud"),
            role: text("role"),
            email: text("email"),
            phone: text("phone"),
            app_metadata: user.get("app_metadata").unwrap_or(&empty),
            user_metadata: user.get("user_metadata").unwrap_or(&empty),
            session_id: &session_id,
            amr: &amr,
            is_anonymous,
        };
        let ttl = self.config().jwt_expiry.as_secs() as i64;
        let iat = unix_secs();
        let claims = tokens::access_claims(&subject, &self.issuer(), iat, ttl);
        json!({
            "access_token": self.app.jwt.signing_key().sign(&claims),
            "token_type": "bearer",
            "expires_in": ttl,
            "expires_at": iat + ttl,
            "refresh_token": session.refresh_token,
            "user": user,
        })
    }
}

/// The caller of a user route.
pub(crate) struct SignedIn {
    user_id: Uuid,
    user: Value,
    /// The token's session and when it started, if the token names one.
    session: Option<(Uuid, i64)>,
}

/// What a handler answers.
pub(crate) enum Reply {
    /// 200 with a JSON body.
    Json(Value),
    /// 200 with a JSON body and extra headers.
    JsonWith(Value, Vec<(&'static str, String)>),
    /// 204.
    NoContent,
}

async fn jwks(State(auth): State<Arc<Auth>>) -> Response<Body> {
    let mut response = Response::new(Body::from(auth.app.jwt.jwks().to_string()));
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=600"),
    );
    response
}

async fn dispatch(
    State(auth): State<Arc<Auth>>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let version = ApiVersion::from_header(
        headers
            .get("x-supabase-api-version")
            .and_then(|v| v.to_str().ok()),
    );
    let query_pairs = parse_query(query.as_deref().unwrap_or(""));
    let query_apikey = query_pairs
        .iter()
        .find(|(k, _)| k == "apikey")
        .map(|(_, v)| v.as_str());
    let forwarded = match gateway::forward(
        &auth.app.keys,
        gateway::presented(&headers, query_apikey),
        true,
    ) {
        Ok(f) => f,
        Err(e) => {
            let mut response = Response::new(Body::from(e.body().to_string()));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            return response;
        }
    };
    let call = Call {
        method,
        path: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        query: query_pairs,
        headers,
        body,
        version,
        forwarded,
    };
    let result = route(&auth, &call).await;
    let mut response = match result {
        Ok(Reply::Json(body)) => json_response(body, Vec::new()),
        Ok(Reply::JsonWith(body, extra)) => json_response(body, extra),
        Ok(Reply::NoContent) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Err(e) => e.into_response(call.version),
    };
    if call.version == ApiVersion::V20240101 {
        response.headers_mut().insert(
            "x-supabase-api-version",
            HeaderValue::from_static(API_VERSION),
        );
    }
    response
}

fn json_response(body: Value, extra: Vec<(&'static str, String)>) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

async fn route(auth: &Auth, call: &Call) -> Result<Reply, AuthError> {
    let path: Vec<&str> = call.path.iter().map(String::as_str).collect();
    match (&call.method, path.as_slice()) {
        (&Method::GET, ["health"]) => Ok(Reply::Json(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "name": "GoTrue",
            "description": "GoTrue is a user registration and authentication API",
        }))),
        (&Method::GET, ["settings"]) => Ok(Reply::Json(settings(auth.config()))),
        (&Method::POST, ["signup"]) => session::signup(auth, call).await,
        (&Method::POST, ["token"]) => session::token(auth, call).await,
        (&Method::POST, ["logout"]) => session::logout(auth, call).await,
        (&Method::GET, ["user"]) => user::get(auth, call).await,
        (&Method::PUT, ["user"]) => user::update(auth, call).await,
        (_, ["admin", "users", rest @ ..]) => admin::route(auth, call, rest).await,
        _ => Err(AuthError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Path not found",
        )),
    }
}

/// `GET /settings`: which providers are on.
fn settings(config: &AuthConfig) -> Value {
    json!({
        "external": {
            "anonymous_users": config.anonymous_enabled,
            "email": true,
            "phone": false,
            "apple": false, "azure": false, "bitbucket": false, "discord": false,
            "facebook": false, "figma": false, "github": false, "gitlab": false,
            "google": false, "keycloak": false, "kakao": false, "linkedin_oidc": false,
            "notion": false, "slack_oidc": false, "spotify": false, "twitch": false,
            "twitter": false, "workos": false, "zoom": false,
        },
        "disable_signup": !config.signup_enabled,
        "mailer_autoconfirm": config.autoconfirm,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
        "passkeys_enabled": false,
    })
}
