//! Routing with the browser's History API: the current [`Route`] is a
//! signal; links push a history entry instead of loading a page; the back
//! and forward buttons set the signal from the URL.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::ctx::AppCtx;
use crate::routes::Route;

/// The route of the page's current URL.
pub fn location_route() -> Route {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    Route::parse(&path)
}

/// Follows the URL: reads it now and after every back/forward.
pub fn install(ctx: AppCtx) {
    ctx.route.set(location_route());
    let handle = window_event_listener(leptos::ev::popstate, move |_| {
        ctx.route.set(location_route());
    });
    on_cleanup(move || handle.remove());
}

fn push(path: &str, replace: bool) {
    let Some(history) = web_sys::window().and_then(|w| w.history().ok()) else {
        return;
    };
    let _ = if replace {
        history.replace_state_with_url(&JsValue::NULL, "", Some(path))
    } else {
        history.push_state_with_url(&JsValue::NULL, "", Some(path))
    };
}

/// Goes to `route` with a new history entry (nothing if already there).
pub fn navigate(ctx: AppCtx, route: Route) {
    if ctx.route.get_untracked() == route && location_route() == route {
        return;
    }
    push(&route.path(), false);
    ctx.route.set(route);
}

/// Goes to `route` replacing the current history entry (redirects).
pub fn redirect(ctx: AppCtx, route: Route) {
    push(&route.path(), true);
    ctx.route.set(route);
}

/// Whether a click should be left to the browser (new tab, download...).
fn is_special_click(ev: &web_sys::MouseEvent) -> bool {
    ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key()
}

/// A link to a route: a real `<a href>` (so it can be opened in a new tab
/// or copied) whose plain clicks navigate inside the app.
#[component]
pub fn Link(
    /// Where it leads.
    #[prop(into)]
    to: Signal<Route>,
    /// CSS class.
    #[prop(optional, into)]
    class: String,
    /// `aria-current="page"` when this is the current place.
    #[prop(optional, into)]
    current: Option<Signal<bool>>,
    /// Content.
    children: Children,
) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let on_click = move |ev: web_sys::MouseEvent| {
        if is_special_click(&ev) {
            return;
        }
        ev.prevent_default();
        navigate(ctx, to.get_untracked());
    };
    view! {
        <a
            href=move || to.get().path()
            class=class
            aria-current=move || current.is_some_and(|c| c.get()).then_some("page")
            on:click=on_click
        >
            {children()}
        </a>
    }
}
