//! The page frame: header, connection banner, navigation and main area.

use leptos::prelude::*;

use super::ctx::{AppCtx, Theme};
use super::nav::Navigation;
use super::router::{navigate, Link};
use crate::app::PRODUCT_NAME;
use crate::i18n::{fill, texts};
use crate::routes::Route;
use crate::supabase::realtime::ConnectionState;

/// Keeps `<html data-theme>` and `<html lang>` in line with the settings.
#[component]
pub fn ThemeEffect() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    Effect::new(move |_| {
        let theme = ctx.theme.get();
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", texts().lang);
            match theme {
                Theme::System => {
                    let _ = root.remove_attribute("data-theme");
                }
                other => {
                    let _ = root.set_attribute("data-theme", other.as_str());
                }
            }
        }
    });
}

/// The top bar.
#[component]
pub fn Header() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let route = Memo::new(move |_| ctx.route.get());
    let on_theme = move |ev| ctx.set_theme(Theme::parse(&event_target_value(&ev)));
    view! {
        <header class="app-header">
            {move || (ctx.is_signed_in() && route.get().workflow().is_some()).then(|| {
                let parent = route.get().parent();
                view! {
                    <button type="button" class="icon-button back-button" aria-label=t.back
                        title=t.back on:click=move |_| navigate(ctx, parent)>
                        <span aria-hidden="true">"←"</span>
                    </button>
                }
            })}
            <h1 class="app-title">
                <Link to=Route::Home class="app-title-link">{PRODUCT_NAME}</Link>
            </h1>
            <div class="header-tools">
                <label class="theme-picker">
                    <span class="visually-hidden">{t.theme}</span>
                    <select id="theme-select" on:change=on_theme
                        prop:value=move || ctx.theme.get().as_str()>
                        <option value="system">{t.theme_system}</option>
                        <option value="light">{t.theme_light}</option>
                        <option value="dark">{t.theme_dark}</option>
                    </select>
                </label>
                {move || ctx.account().map(|account| view! {
                    <span class="account-name"
                        title=fill(t.signed_in_as, &[("name", &account.display_name)])>
                        {account.display_name.clone()}
                    </span>
                    <button type="button" class="sign-out" on:click=move |_| ctx.sign_out()>
                        {t.sign_out}
                    </button>
                })}
            </div>
        </header>
    }
}

/// What the connection banner says, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Banner {
    /// The browser is offline.
    Offline,
    /// The socket was lost and is coming back.
    Reconnecting,
}

/// Chooses the banner: offline wins; a first connection attempt shows
/// nothing (it is quick, a flash would only distract), later ones do.
pub fn banner_for(online: bool, state: Option<&ConnectionState>) -> Option<Banner> {
    if !online {
        return Some(Banner::Offline);
    }
    match state? {
        ConnectionState::Waiting { .. } => Some(Banner::Reconnecting),
        ConnectionState::Connecting { attempt } if *attempt > 0 => Some(Banner::Reconnecting),
        _ => None,
    }
}

/// Says so while offline or reconnecting.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let on = window_event_listener(leptos::ev::online, move |_| ctx.online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| ctx.online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    let banner = Memo::new(move |_| banner_for(ctx.online.get(), ctx.connection().as_ref()));
    view! {
        <div class="connection-banner" role="status" aria-live="polite"
            data-state=move || match banner.get() {
                Some(Banner::Offline) => "offline",
                Some(Banner::Reconnecting) => "reconnecting",
                None => "connected",
            }>
            {move || banner.get().map(|b| match b {
                Banner::Offline => t.offline_banner,
                Banner::Reconnecting => t.reconnecting_banner,
            })}
        </div>
    }
}

/// Navigation beside the routed view; on narrow screens one of them.
#[component]
pub fn SignedInLayout() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let route = Memo::new(move |_| ctx.route.get());
    view! {
        <ConnectionBanner/>
        <div class="app-body" class=("app-body--detail", move || route.get().is_detail())>
            <nav class="sidebar" aria-label=t.navigation>
                <Navigation/>
            </nav>
            <main class="app-main" id="main" tabindex="-1">
                <RouteView route/>
            </main>
        </div>
    }
}

/// The view of the current route.
#[component]
fn RouteView(route: Memo<Route>) -> impl IntoView {
    let t = texts();
    move || match route.get() {
        Route::Session { workflow, session } => {
            view! { <super::chat::ChatView workflow session/> }.into_any()
        }
        Route::Members { workflow } => {
            view! { <super::members::MembersPanel workflow/> }.into_any()
        }
        Route::Workflow { .. } => view! { <p class="placeholder">{t.pick_session}</p> }.into_any(),
        Route::NotFound => {
            view! { <p class="placeholder" role="alert">{t.not_found}</p> }.into_any()
        }
        Route::Home | Route::SignIn | Route::Register => {
            view! { <p class="placeholder">{t.pick_workflow}</p> }.into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::time::Millis;

    #[test]
    fn banner_rules() {
        assert_eq!(banner_for(false, None), Some(Banner::Offline));
        assert_eq!(
            banner_for(false, Some(&ConnectionState::Open)),
            Some(Banner::Offline)
        );
        assert_eq!(banner_for(true, None), None);
        assert_eq!(banner_for(true, Some(&ConnectionState::Open)), None);
        assert_eq!(banner_for(true, Some(&ConnectionState::Closed)), None);
        assert_eq!(
            banner_for(true, Some(&ConnectionState::Connecting { attempt: 0 })),
            None
        );
        assert_eq!(
            banner_for(true, Some(&ConnectionState::Connecting { attempt: 2 })),
            Some(Banner::Reconnecting)
        );
        assert_eq!(
            banner_for(
                true,
                Some(&ConnectionState::Waiting {
                    attempt: 1,
                    retry_at: Millis(0)
                })
            ),
            Some(Banner::Reconnecting)
        );
    }
}
