//! `/rest/v1`: PostgREST-compatible remote procedure calls.

use axum::Router;

use crate::server::SharedState;

/// Routes under `/rest/v1`.
pub fn router() -> Router<SharedState> {
    Router::new()
}
