//! Signing in and registering.
//!
//! The forms render wherever a signed-out user lands: on `/signin` and
//! `/register`, and in place of any other view, whose URL stays. After
//! signing in, that view appears, so a session that ended while the user
//! was writing comes back with its draft.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::ctx::AppCtx;
use super::router::{redirect, Link};
use crate::chat::ChatApi;
use crate::i18n::{fill, texts};
use crate::routes::Route;
use crate::supabase::rpc::RpcError;

/// What to tell the user about a failed sign-in or registration.
pub fn auth_error_text(error: &RpcError) -> String {
    let t = texts();
    let message = error.detail().map(|d| d.message.as_str()).unwrap_or("");
    let details = error
        .detail()
        .and_then(|d| d.details.as_deref())
        .unwrap_or("");
    match error {
        RpcError::Unauthenticated(_) => t.bad_credentials.to_owned(),
        RpcError::RateLimited(_) => t.too_many_attempts.to_owned(),
        RpcError::Conflict(_) => t.email_taken.to_owned(),
        RpcError::Network(_) | RpcError::Timeout => t.network_error.to_owned(),
        RpcError::InvalidInput(_) if message == "invalid email" => t.invalid_email.to_owned(),
        RpcError::InvalidInput(_) if message == "too short" && details == "password" => {
            t.password_too_short.to_owned()
        }
        other => fill(t.error_with, &[("error", &other.to_string())]),
    }
}

async fn finish(ctx: AppCtx, chat: ChatApi) -> Result<(), RpcError> {
    let account = chat.me().await?;
    ctx.start(chat, account);
    if ctx.route.get_untracked().is_public() {
        redirect(ctx, Route::Home);
    }
    Ok(())
}

/// The sign-in or registration form, by route.
#[component]
pub fn AccountForms() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    move || {
        if ctx.route.get() == Route::Register {
            view! { <RegisterForm/> }.into_any()
        } else {
            view! { <SignInForm/> }.into_any()
        }
    }
}

/// Email and password.
#[component]
pub fn SignInForm() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let api = ctx.api();
        let (e, p) = (email.get_untracked(), password.get_untracked());
        spawn_local(async move {
            let result = match api.sign_in(e.trim(), &p).await {
                Ok(chat) => finish(ctx, chat).await,
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                error.set(Some(auth_error_text(&err)));
            }
            busy.set(false);
        });
    };
    view! {
        <section class="auth-card" aria-labelledby="auth-title">
            <h2 id="auth-title">{t.sign_in}</h2>
            {move || ctx.expired.get().then(|| view! {
                <p class="notice" role="status">{t.session_expired}</p>
            })}
            <form class="auth-form" on:submit=submit>
                <label for="signin-email">{t.email}</label>
                <input id="signin-email" name="email" type="email" autocomplete="username" required
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="signin-password">{t.password}</label>
                <input id="signin-password" name="password" type="password"
                    autocomplete="current-password" required
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev)) />
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>{t.sign_in}</button>
            </form>
            <p class="auth-switch">
                <Link to=Route::Register>{t.no_account}</Link>
            </p>
        </section>
    }
}

/// Email, name and password.
#[component]
pub fn RegisterForm() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if password.get_untracked().chars().count() < 8 {
            error.set(Some(t.password_too_short.to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        let api = ctx.api();
        let (e, n, p) = (
            email.get_untracked(),
            name.get_untracked(),
            password.get_untracked(),
        );
        spawn_local(async move {
            let result = match api.register(e.trim(), &p, n.trim()).await {
                Ok(chat) => finish(ctx, chat).await,
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                error.set(Some(auth_error_text(&err)));
            }
            busy.set(false);
        });
    };
    view! {
        <section class="auth-card" aria-labelledby="auth-title">
            <h2 id="auth-title">{t.register}</h2>
            <form class="auth-form" on:submit=submit>
                <label for="register-email">{t.email}</label>
                <input id="register-email" name="email" type="email" autocomplete="email" required
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="register-name">{t.display_name}</label>
                <input id="register-name" name="name" type="text" autocomplete="nickname" required
                    maxlength="100"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="register-password">{t.password}</label>
                <input id="register-password" name="password" type="password"
                    autocomplete="new-password" required minlength="8"
                    aria-describedby="register-password-hint"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev)) />
                <p id="register-password-hint" class="hint">{t.password_hint}</p>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>{t.register}</button>
            </form>
            <p class="auth-switch">
                <Link to=Route::SignIn>{t.have_account}</Link>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::rpc::ErrorBody;

    fn body(message: &str, details: Option<&str>) -> ErrorBody {
        ErrorBody {
            code: "PT400".into(),
            message: message.into(),
            details: details.map(Into::into),
            hint: None,
        }
    }

    #[test]
    fn errors_in_words() {
        let t = texts();
        assert_eq!(
            auth_error_text(&RpcError::Unauthenticated(body(
                "invalid login credentials",
                None
            ))),
            t.bad_credentials
        );
        assert_eq!(
            auth_error_text(&RpcError::RateLimited(body(
                "too many login attempts",
                None
            ))),
            t.too_many_attempts
        );
        assert_eq!(
            auth_error_text(&RpcError::InvalidInput(body(
                "invalid email",
                Some("email")
            ))),
            t.invalid_email
        );
        assert_eq!(
            auth_error_text(&RpcError::InvalidInput(body("too short", Some("password")))),
            t.password_too_short
        );
        assert_eq!(
            auth_error_text(&RpcError::Conflict(body("email already registered", None))),
            t.email_taken
        );
        assert_eq!(auth_error_text(&RpcError::Timeout), t.network_error);
        assert!(auth_error_text(&RpcError::InvalidInput(body(
            "too long",
            Some("display_name")
        )))
        .contains("too long"));
    }
}
