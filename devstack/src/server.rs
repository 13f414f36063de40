//! The HTTP origin: shared state of every service and the router that puts
//! them under Supabase's gateway paths.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use deadpool_postgres::Pool;
use tokio::sync::watch;

use crate::auth::config::AuthConfig;
use crate::gateway::ApiKeys;
use crate::jwt::KeySet;
use crate::{cors, rest, serve_app};

/// Statement timeouts Supabase gives the API roles; a role setting in the
/// database (`alter role ... set statement_timeout`) takes precedence.
pub const DEFAULT_STATEMENT_TIMEOUTS: &[(&str, &str)] = &[("anon", "3s"), ("authenticated", "8s")];

/// Schemas reachable through `/rest/v1`, as on a Supabase project.
pub const EXPOSED_SCHEMAS: &[&str] = &["public", "graphql_public"];

/// State shared by every service of the stack.
pub struct AppState {
    /// Public base URL, e.g. `http://127.0.0.1:54321`.
    pub url: String,
    /// Every key that verifies tokens (legacy secret, signing key,
    /// third-party issuers) and the key that signs user tokens.
    pub jwt: KeySet,
    /// The API keys the gateway accepts.
    pub keys: ApiKeys,
    /// How Auth behaves (sign-up, confirmation, rate limits, token lifetime).
    pub auth: AuthConfig,
    /// Connections as the API login role (`authenticator` when the bootstrap
    /// created it), which switches to the caller's role per transaction.
    pub db: Pool,
    /// Superuser connections, for privileged work (authorization probes,
    /// queue workers).
    pub admin_db: Pool,
    /// Superuser connection URL (for services that need a dedicated
    /// connection, e.g. to LISTEN).
    pub db_url: String,
    /// Folder with the built app, served at `/`.
    pub dist_dir: PathBuf,
    /// Becomes `true` when the stack shuts down; long-lived connections
    /// (websockets) should close then.
    pub shutdown: watch::Receiver<bool>,
}

/// Shared handle on [`AppState`].
pub type SharedState = Arc<AppState>;

/// Every route of the origin. Services are mounted under their gateway
/// prefixes; anything else falls through to the app.
pub fn app_router(state: SharedState) -> Router {
    Router::new()
        .nest("/rest/v1", rest::router())
        .merge(crate::realtime::service(&state))
        .merge(crate::storage::service(&state))
        .merge(crate::auth::service(&state))
        // Further services are merged here, each under its own prefix.
        .fallback(serve_app::serve)
        .layer(axum::middleware::from_fn(cors::cors))
        .with_state(state)
}
