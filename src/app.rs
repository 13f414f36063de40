//! The application shell: configuration, shared state, routing, the page
//! frame (header, navigation, main area) and which view fills it.

use leptos::prelude::*;

use crate::config::{ConfigError, SupabaseConfig};
use crate::i18n::texts;
use crate::views::account::AccountForms;
use crate::views::ctx::AppCtx;
use crate::views::router;
use crate::views::shell::{Header, SignedInLayout, ThemeEffect};

/// The product name as users see it.
pub const PRODUCT_NAME: &str = "workflow-chat";

/// The root component: reads the page's configuration and shows the app,
/// or what is missing from the page.
#[component]
pub fn App() -> impl IntoView {
    view! { <AppFor config=SupabaseConfig::from_document()/> }
}

/// The app for a configuration read from the page or handed over by a host
/// page, or what is wrong with that configuration.
#[component]
pub fn AppFor(config: Result<SupabaseConfig, ConfigError>) -> impl IntoView {
    match config {
        Ok(config) => view! { <ConfiguredApp config/> }.into_any(),
        Err(error) => view! { <ConfigProblem error=error.to_string()/> }.into_any(),
    }
}

/// The app for a configured project.
#[component]
pub fn ConfiguredApp(
    /// The project to talk to.
    config: SupabaseConfig,
) -> impl IntoView {
    let ctx = AppCtx::new(config);
    provide_context(ctx);
    router::install(ctx);
    ctx.restore();
    // A signed-in user has no business on the account forms.
    Effect::new(move |_| {
        if ctx.is_signed_in() && ctx.route.get().is_public() {
            router::redirect(ctx, crate::routes::Route::Home);
        }
    });
    let t = texts();
    view! {
        <ThemeEffect/>
        <div class="app-shell">
            <a class="skip-link" href="#main">{t.skip_to_main}</a>
            <Header/>
            {move || if ctx.is_signed_in() {
                view! { <SignedInLayout/> }.into_any()
            } else {
                view! {
                    <main class="app-main app-main--centered" id="main" tabindex="-1">
                        <AccountForms/>
                    </main>
                }.into_any()
            }}
        </div>
    }
}

/// Shown when the page lacks the project URL or key.
#[component]
fn ConfigProblem(error: String) -> impl IntoView {
    let t = texts();
    view! {
        <div class="app-shell">
            <header class="app-header">
                <h1 class="app-title">{PRODUCT_NAME}</h1>
            </header>
            <main class="app-main app-main--centered" id="main">
                <section class="auth-card" role="alert">
                    <h2>{t.config_error_title}</h2>
                    <p class="app-status">{error}</p>
                </section>
            </main>
        </div>
    }
}
