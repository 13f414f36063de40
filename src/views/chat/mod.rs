//! The chat view of one session.

use leptos::prelude::*;
use uuid::Uuid;

/// One chat session.
#[component]
pub fn ChatView(
    /// Its workflow.
    workflow: Uuid,
    /// The session.
    session: Uuid,
) -> impl IntoView {
    let _ = workflow;
    view! { <p>{session.to_string()}</p> }
}
