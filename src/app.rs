//! The application shell.

use leptos::prelude::*;

/// The product name as users see it.
pub const PRODUCT_NAME: &str = "workflow-chat";

/// The root component: the shell every view lives in.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <div class="app-shell">
            <header class="app-header">
                <h1 class="app-title">{PRODUCT_NAME}</h1>
            </header>
            <main class="app-main" id="main">
                <p class="app-status">"Loading…"</p>
            </main>
        </div>
    }
}
